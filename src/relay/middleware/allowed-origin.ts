import type { MiddlewareHandler } from 'hono';
import { oauthError } from './oauth-error';

/**
 * Every response header the extension reads. A cross-origin caller sees only CORS-safelisted headers unless the
 * answer exposes others: hidden, `Retry-After` would make the Agile client retry at once instead of waiting as
 * told, and `WWW-Authenticate` would hide why a token was refused (RFC 6750 §3).
 */
export const EXPOSED_HEADERS = ['Retry-After', 'WWW-Authenticate'] as const;

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
    if (c.req.method === 'OPTIONS') {
      return c.body(null, 204, {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Methods': 'GET, POST, PUT',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept',
        'Access-Control-Max-Age': '600',
        Vary: 'Origin',
      });
    }
    await next();
    // Set on the final response: handlers may return a Response of their own (a relayed upstream answer).
    c.res.headers.set('Access-Control-Allow-Origin', origin);
    c.res.headers.set('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
    c.res.headers.append('Vary', 'Origin');
  };
}
