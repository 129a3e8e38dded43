/**
 * The token relay: the only place that holds the OAuth client secret (OAuth mode) or Agile API keys (bridge
 * mode). A Hono app on web-standard Request/Response, so the same code serves from Node (node.ts) and from
 * Cloudflare Workers (worker.ts).
 *
 * The extension needs only the relay's URL: `GET /.well-known/oauth-authorization-server` (RFC 8414) tells it
 * the endpoints and the public client id, whichever mode the relay runs in.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { BRIDGE_CLIENT_ID, bridgeRoutes } from './bridge';
import type { RelayConfig } from './config';
import { accessLog, type AccessLogEntry } from './middleware/access-log';
import { allowedOrigin, EXPOSED_HEADERS, originMatcher } from './middleware/allowed-origin';
import { noStore } from './middleware/no-store';
import { oauthError } from './middleware/oauth-error';
import { oauthProxyRoutes } from './oauth-proxy';
import { nodeClientAddress } from './client-address';
import { configuredProvider, type Provider } from './provider';
import { memoryStore, StoreUnavailableError, type RelayStore } from './store';

export interface RelayDeps {
  /** Upstream fetch: Agile CRM or the OAuth server. Defaults to the global fetch. */
  fetch?: typeof fetch;
  store?: RelayStore;
  log?: (entry: AccessLogEntry) => void;
  /**
   * OAuth mode: the provider, as `resolveProvider` found it. Needed when the configuration leaves something to
   * discovery; otherwise read from the configuration.
   */
  provider?: Provider;
  /**
   * The client's address key, which sign-in limits are counted by. Defaults to the Node socket's peer (with the
   * configured trusted proxies); the Worker passes Cloudflare's address.
   */
  clientAddress?: (c: Context) => string | null;
}

/** Token and revocation forms are small; proxied CRM writes (a note, a contact) get more room. */
const FORM_LIMIT = 8 * 1024;
const PROXY_LIMIT = 64 * 1024;

/**
 * @example
 * const relay = createRelay(loadRelayConfig(process.env));
 * const response = await relay.request('/.well-known/oauth-authorization-server');
 */
export function createRelay(config: RelayConfig, deps: RelayDeps = {}): Hono {
  const app = new Hono();
  const upstreamFetch = deps.fetch ?? ((input, init) => fetch(input, init));
  const store = deps.store ?? memoryStore({ maxBytes: config.memoryStoreBytes });
  const provider = config.mode.kind === 'oauth' ? (deps.provider ?? configuredProvider(config.mode)) : null;
  if (config.mode.kind === 'oauth' && !provider) throw new Error('OAuth mode with OAUTH_ISSUER: resolve the provider (resolveProvider) before creating the relay.');
  const issuer = (c: Context) => config.publicUrl ?? new URL(c.req.url).origin;
  const tooLarge = (c: Context) => oauthError(c, 413, 'invalid_request', 'The request body is too large.');

  if (deps.log) app.use('*', accessLog(deps.log));
  app.use('/token', allowedOrigin(config.allowedOrigins), noStore(), bodyLimit({ maxSize: FORM_LIMIT, onError: tooLarge }));
  app.use('/revoke', allowedOrigin(config.allowedOrigins), noStore(), bodyLimit({ maxSize: FORM_LIMIT, onError: tooLarge }));
  app.use('/agile/*', allowedOrigin(config.allowedOrigins), noStore(), bodyLimit({ maxSize: PROXY_LIMIT, onError: tooLarge }));
  app.use('/authorize', bodyLimit({ maxSize: FORM_LIMIT, onError: tooLarge }));

  // The issuer can come from the request's Host: never let a shared cache keep one answer for everyone.
  const knownOrigin = originMatcher(config.allowedOrigins);
  app.use('/.well-known/*', cors({ origin: (origin) => (knownOrigin(origin) ? origin : null), allowMethods: ['GET'], exposeHeaders: [...EXPOSED_HEADERS] }), noStore());
  // The sign-in pages may not be framed (clickjacking, RFC 9700 §4.16) nor leak their URL in a Referer.
  app.use('/authorize', async (c, next) => {
    await next();
    c.res.headers.set('X-Frame-Options', 'DENY');
    c.res.headers.set('Content-Security-Policy', "frame-ancestors 'none'");
    c.res.headers.set('Referrer-Policy', 'no-referrer');
  });
  app.get('/.well-known/oauth-authorization-server', (c) => {
    const base = issuer(c);
    const oauthMode = config.mode.kind === 'oauth' ? config.mode : null;
    return c.json({
      issuer: base,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      ...(oauthMode && !provider?.revocationEndpoint ? {} : { revocation_endpoint: `${base}/revoke` }),
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      // RFC 9207: the bridge is the authorization server and names itself; in OAuth mode the provider answers,
      // and its metadata says whether it names itself.
      authorization_response_iss_parameter_supported: !oauthMode || !!provider?.issParameterSupported,
      ...(provider?.issuer ? { upstream_issuer: provider.issuer } : {}),
      // What the extension puts in its authorization request (RFC 8414 §2 `scopes_supported`, and the extra
      // parameters the provider requires): configured once, here, and sent by the extension.
      ...(oauthMode && oauthMode.scope.length > 0 ? { scopes_supported: oauthMode.scope } : {}),
      ...(oauthMode && Object.keys(oauthMode.authorizationParameters).length > 0 ? { authorization_request_parameters: oauthMode.authorizationParameters } : {}),
      // The relay serves one client registration; publishing its public id spares the extension a setting.
      client_id: oauthMode ? oauthMode.clientId : BRIDGE_CLIENT_ID,
      relay_mode: config.mode.kind,
    });
  });
  app.get('/health', (c) => c.json({ ok: true, mode: config.mode.kind }));

  if (config.mode.kind === 'oauth' && provider) {
    app.route('/', oauthProxyRoutes(config, config.mode, { fetch: upstreamFetch, store, provider }));
  } else if (config.mode.kind === 'bridge') {
    app.route('/', bridgeRoutes(config, config.mode, {
      fetch: upstreamFetch,
      store,
      issuer,
      clientAddress: deps.clientAddress ?? nodeClientAddress(config.clientAddress),
    }));
  }

  app.notFound((c) => oauthError(c, 404, 'invalid_request', 'No such relay endpoint.'));
  app.onError((error, c) => {
    // Fail closed: without its store the relay cannot tell a used code or a revoked session from a good one.
    if (error instanceof StoreUnavailableError) {
      c.header('Retry-After', '5');
      return oauthError(c, 503, 'temporarily_unavailable', error.message);
    }
    return oauthError(c, 500, 'server_error', 'The relay failed to handle this request.');
  });
  return app;
}
