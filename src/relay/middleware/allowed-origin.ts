import type { MiddlewareHandler } from 'hono';
import { FIREFOX_INSTALLATION_ORIGIN, FIREFOX_ORIGINS } from '../../shared/extension-id';
import { oauthError } from './oauth-error';

/**
 * Every response header the extension reads. A cross-origin caller sees only CORS-safelisted headers unless the
 * answer exposes others: hidden, `Retry-After` would make the Agile client retry at once instead of waiting as
 * told, and `WWW-Authenticate` would hide why a token was refused (RFC 6750 §3).
 */
export const EXPOSED_HEADERS = ['Retry-After', 'WWW-Authenticate'] as const;

/**
 * Whether an Origin header is one of `origins`: listed exactly, or a Firefox add-on's when `moz-extension://*` is
 * listed (Firefox draws each installation's uuid at random, so no single origin can be pinned). Web pages cannot
 * send either kind.
 *
 * @example originMatcher(['moz-extension://*'])('moz-extension://3d9b9a4a-1f7c-4a61-9b1a-8a2f0c3e5d11') // true
 */
export function originMatcher(origins: readonly string[]): (origin: string | undefined) => boolean {
  const exact = new Set(origins);
  const anyFirefox = exact.has(FIREFOX_ORIGINS);
  return (origin) => !!origin && (exact.has(origin) ? origin !== FIREFOX_ORIGINS : anyFirefox && FIREFOX_INSTALLATION_ORIGIN.test(origin));
}

/**
 * Lets only the listed origins (the extension's `chrome-extension://<id>`, Firefox add-ons under `moz-extension://*`)
 * call the relay from a browser, and answers their CORS preflights. A request without an Origin is refused, but for
 * a GET or HEAD: Chrome and Firefox send none on an extension's GET to a host it has permission for (measured: a
 * relay on 127.0.0.1, inside the development build's host permissions, was refused every card's notes), and a web
 * page's GET without one (no-cors) cannot carry the `Authorization` header every guarded GET needs. A POST or PUT
 * carries Origin from both browsers, even there.
 *
 * @example app.use('/token', allowedOrigin(['chrome-extension://abc…']));
 */
export function allowedOrigin(origins: readonly string[]): MiddlewareHandler {
  const allowed = originMatcher(origins);
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (!origin && (c.req.method === 'GET' || c.req.method === 'HEAD')) return next();
    if (!origin || !allowed(origin)) {
      return oauthError(c, 403, 'access_denied', origin
        ? `This relay does not serve ${origin.slice(0, 100)}: its operator can add that origin to RELAY_ALLOWED_ORIGINS.`
        : 'This relay serves only the extension (the request had no Origin).');
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
