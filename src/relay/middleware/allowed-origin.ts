import type { MiddlewareHandler } from 'hono';
import { oauthError } from './oauth-error';

/**
 * Lets only the listed origins (the extension's `chrome-extension://<id>`) call the relay from a browser, and
 * answers their CORS preflights. A request without an Origin is refused too: every caller the relay serves is
 * an extension, and browsers always send Origin on these cross-origin requests.
 *
 * @example app.use('/token', allowedOrigin(['chrome-extension://abc…']));
 */
export function allowedOrigin(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (!origin || !allowed.has(origin)) {
      return oauthError(c, 403, 'access_denied', 'This origin may not use the relay.');
    }
    c.header('Access-Control-Allow-Origin', origin);
    c.header('Vary', 'Origin');
    if (c.req.method === 'OPTIONS') {
      c.header('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE');
      c.header('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept');
      c.header('Access-Control-Max-Age', '600');
      return c.body(null, 204);
    }
    await next();
  };
}
