import type { MiddlewareHandler } from 'hono';

/**
 * Token responses and proxied CRM data must never sit in a cache (RFC 6749 §5.1).
 *
 * @example app.use('*', noStore());
 */
export function noStore(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
    c.res.headers.set('Pragma', 'no-cache');
  };
}
