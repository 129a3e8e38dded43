/**
 * OAuth mode: the provider (Agile CRM's OAuth server, or any standard OAuth 2.0 / OpenID Connect provider in front
 * of it) is the authorization server; the relay is its confidential client, holding the client secret the extension
 * must never see. oauth4webapi does the protocol steps against the provider.
 *
 * - `GET /authorize` checks the request and redirects to the provider's authorization endpoint with the
 *   extension's parameters and exactly the extra ones the relay's configuration names.
 * - `POST /token` exchanges codes and refresh tokens with client authentication. An ID token in the answer is
 *   validated against the provider (issuer, audience = client id, expiry, signature by its JWKS), its email or name
 *   becomes "signed in as", and it is not passed on: the extension's own checks are against the relay's metadata.
 *   A refresh happens once per refresh token (refresh-answers.ts). An answer the relay refuses after the provider
 *   issued tokens has those tokens revoked at the provider, so no grant is left that nobody holds.
 * - `POST /revoke` forwards RFC 7009 revocation the same way.
 */
import { Hono, type Context } from 'hono';
import * as oauth from 'oauth4webapi';
import { AgileDomainError, fillDomain, templateNeedsDomain } from '../shared/agile-domain';
import { fromBase64url } from '../shared/random';
import type { OAuthMode, RelayConfig } from './config';
import { readForm } from './middleware/form-body';
import { oauthError } from './middleware/oauth-error';
import type { Provider } from './provider';
import { refreshAnswers, type Exchanged, type RelayAnswer } from './refresh-answers';
import { checkAuthorizeRequest, readTokenRequest, RevokeRequest } from './requests';
import type { RelayStore } from './store';

/** What the Worker entry passes as the app's bindings. */
export interface RelayBindings {
  waitUntil?(work: Promise<unknown>): void;
}

export interface UpstreamDeps {
  fetch: typeof fetch;
  store: RelayStore;
  provider: Provider;
}

/** Stands in for the issuer of a provider configured without one: an ID token can never match it. */
const NO_ISSUER = 'urn:agile-relay:oauth-issuer-not-set';
/** Authorization-request parameters the extension sends and the relay forwards, besides the configured extras. */
const FORWARDED = ['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'scope', 'prompt'] as const;

interface Endpoints {
  authorize: string;
  token: string;
  revoke: string | null;
  apiBase: string;
  webBase: string;
}

/** Resolves a configured URL template for the account's domain; throws AgileDomainError on a bad domain. */
function endpoint(template: string, domain: string | undefined): string {
  if (!templateNeedsDomain(template)) return template;
  if (!domain) throw new AgileDomainError('Set your Agile CRM domain in the extension’s options, then sign in again.');
  return fillDomain(template, domain);
}

const answer = (status: number, error: string, description: string): RelayAnswer => ({ status, body: { error, error_description: description } });

const MAC_HASHES: ReadonlyMap<unknown, string> = new Map([['HS256', 'SHA-256'], ['HS384', 'SHA-384'], ['HS512', 'SHA-512']]);

/** An ID token whose MAC does not verify with the client secret. */
class MacSignatureError extends Error {}

/**
 * An ID token's signature, once oauth4webapi has checked its claims: an asymmetric one by the provider's JWKS
 * (oauth4webapi), a MAC (HS256/384/512) with the client secret as its key, as OpenID Connect Core §10.1 says —
 * oauth4webapi leaves those to the caller, who alone holds the secret.
 */
async function verifyIdTokenSignature(idToken: string, clientSecret: string, verifyByJwks: () => Promise<void>): Promise<void> {
  const [header = '', payload = '', signature = ''] = idToken.split('.');
  let alg: unknown;
  try {
    alg = (JSON.parse(new TextDecoder().decode(fromBase64url(header))) as { alg?: unknown }).alg;
  } catch {
    alg = undefined;
  }
  const hash = MAC_HASHES.get(alg);
  if (!hash) return verifyByJwks();
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(clientSecret), { name: 'HMAC', hash }, false, ['verify']);
  if (!(await crypto.subtle.verify('HMAC', key, fromBase64url(signature) as Uint8Array<ArrayBuffer>, encoder.encode(`${header}.${payload}`)))) {
    throw new MacSignatureError(`its ID token's ${String(alg)} signature does not verify with the client secret (OAUTH_CLIENT_SECRET)`);
  }
}

/** The claim that says who signed in, in the order a rep recognises best. */
function signedInAs(claims: oauth.IDToken | undefined): string | undefined {
  for (const name of ['email', 'name', 'preferred_username'] as const) {
    const value = claims?.[name];
    if (typeof value === 'string' && value.trim()) return value.trim().slice(0, 200);
  }
  return undefined;
}

/** Why the relay refused a token answer the provider sent with 200, in words an operator can act on. */
function refusal(error: unknown, mode: OAuthMode, provider: Provider, hadIdToken: boolean): string {
  if (hadIdToken && provider.issuer === null) return 'it sent an ID token, and without OAUTH_ISSUER the relay cannot check it: set OAUTH_ISSUER';
  if (error instanceof MacSignatureError) return error.message;
  if (error instanceof oauth.OperationProcessingError) {
    const cause = error.cause as { claim?: string; claims?: Record<string, unknown> } | undefined;
    if (error.code === oauth.JWT_CLAIM_COMPARISON && cause?.claim === 'iss') {
      return `its ID token names the issuer ${String(cause.claims?.iss)}, not ${provider.issuer} (OAUTH_ISSUER)`;
    }
    if (error.code === oauth.JWT_CLAIM_COMPARISON && (cause?.claim === 'aud' || cause?.claim === 'azp')) {
      return `its ID token was issued to another client (${cause.claim} ${JSON.stringify(cause.claims?.[cause.claim])}), not ${mode.clientId} (OAUTH_CLIENT_ID)`;
    }
    if (error.code === oauth.JWT_TIMESTAMP_CHECK) return `its ID token is expired or not yet valid (${error.message}); check the clocks`;
    if (error.code === oauth.KEY_SELECTION || /signature/i.test(error.message)) return "its ID token's signature does not verify with the provider's keys (jwks_uri)";
  }
  return `its answer is not a valid token response (${error instanceof Error ? error.message : String(error)})`;
}

export function oauthProxyRoutes(config: RelayConfig, mode: OAuthMode, deps: UpstreamDeps): Hono {
  const app = new Hono();
  const { provider } = deps;
  const client: oauth.Client = { client_id: mode.clientId };
  const clientAuth = provider.clientAuth === 'client_secret_post' ? oauth.ClientSecretPost(mode.clientSecret) : oauth.ClientSecretBasic(mode.clientSecret);
  // One object for the provider's lifetime: oauth4webapi keeps the JWKS it fetched per authorization-server object.
  const issuer: oauth.AuthorizationServer = {
    issuer: provider.issuer ?? NO_ISSUER,
    ...(provider.jwksUri ? { jwks_uri: provider.jwksUri } : {}),
    ...(provider.idTokenSigningAlgs ? { id_token_signing_alg_values_supported: provider.idTokenSigningAlgs } : {}),
  };
  const unavailable = answer(502, 'temporarily_unavailable', 'The sign-in provider did not answer. Try again in a moment.');
  const answers = refreshAnswers(deps.store, {
    graceSeconds: config.refreshReuseGrace,
    // A call may take the token request and the JWKS download, each bounded by the upstream timeout.
    leaseSeconds: Math.ceil((2 * config.upstreamTimeoutMs) / 1000) + 5,
    unavailable,
  });
  const options = (url: string) => ({
    [oauth.customFetch]: deps.fetch,
    // Configuration allows http only on loopback (the sandbox), so this never opens plain http to the network.
    [oauth.allowInsecureRequests]: url.startsWith('http:'),
    signal: AbortSignal.timeout(config.upstreamTimeoutMs),
  });
  const endpoints = (domain: string | undefined): Endpoints => ({
    authorize: endpoint(provider.authorizationEndpoint, domain),
    token: endpoint(provider.tokenEndpoint, domain),
    revoke: provider.revocationEndpoint ? endpoint(provider.revocationEndpoint, domain) : null,
    apiBase: endpoint(mode.apiBase, domain),
    webBase: endpoint(mode.webBase, domain),
  });

  /**
   * RFC 7009 at the provider, best effort: used when the relay refuses an answer that carried tokens. Says what
   * became of them, for the refusal's words.
   */
  async function revokeIssued(url: string | null, body: unknown): Promise<string> {
    const tokens = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    const [token, hint] = typeof tokens.refresh_token === 'string' ? [tokens.refresh_token, 'refresh_token'] : [tokens.access_token, 'access_token'];
    if (typeof token !== 'string' || !token) return 'It issued no token.';
    if (!url) return 'The provider offers no revocation: the tokens it issued expire on their own, and nothing holds them.';
    try {
      const response = await oauth.revocationRequest({ ...issuer, revocation_endpoint: url }, client, clientAuth, token, { ...options(url), additionalParameters: { token_type_hint: hint } });
      await oauth.processRevocationResponse(response);
      return 'The tokens it issued were revoked.';
    } catch {
      return 'Revoking the tokens it issued failed: they expire on their own, and nothing holds them.';
    }
  }

  /** One call to the provider's token endpoint, its answer checked and turned into the relay's. */
  async function exchange(at: Endpoints, grant: 'authorization_code' | 'refresh_token', parameters: Record<string, string>): Promise<Exchanged> {
    const as = { ...issuer, token_endpoint: at.token };
    let response: Response;
    try {
      response = grant === 'refresh_token'
        ? await oauth.refreshTokenGrantRequest(as, client, clientAuth, parameters.refresh_token!, options(at.token))
        : await oauth.genericTokenEndpointRequest(as, client, clientAuth, grant, parameters, options(at.token));
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return { answer: answer(timedOut ? 504 : 502, 'temporarily_unavailable', timedOut ? 'The sign-in provider did not answer in time. Try again in a moment.' : unavailable.body.error_description as string), keep: false };
    }
    // Read once: oauth4webapi consumes a copy, and a refused answer's tokens are read from the text to revoke them.
    const text = await response.text().catch(() => '');
    const status = response.status;
    // A 204 or 205 may carry no body, even an empty one.
    response = new Response(status === 204 || status === 205 ? null : text, { status, statusText: response.statusText, headers: response.headers });
    try {
      const tokens = grant === 'refresh_token'
        ? await oauth.processRefreshTokenResponse(as, client, response)
        : await oauth.processGenericTokenEndpointResponse(as, client, response);
      if (tokens.id_token) {
        await verifyIdTokenSignature(tokens.id_token, mode.clientSecret, () => oauth.validateApplicationLevelSignature(issuer, response, options(provider.jwksUri ?? at.token)));
      }
      const { id_token: _idToken, token_type: tokenType, ...rest } = tokens;
      const user = signedInAs(oauth.getValidatedIdTokenClaims(tokens));
      // oauth4webapi lower-cases token_type; RFC 6750 spells the scheme "Bearer" (either is valid).
      const body = { ...rest, token_type: tokenType === 'bearer' ? 'Bearer' : tokenType, agile_api_base: at.apiBase, agile_web_base: at.webBase };
      return {
        answer: { status: 200, body: { ...body, ...(user ? { agile_user: user } : {}) } },
        keep: tokens.refresh_token !== undefined && tokens.refresh_token !== parameters.refresh_token,
      };
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) {
        const { error: code, error_description: description, error_uri: uri } = error.cause;
        // The relay is a gateway: a provider failure is a 502; its refusal of the relay's own credentials too.
        if (error.status >= 500) return { answer: { status: 502, body: { error: code, error_description: description ?? 'The sign-in provider failed.' } }, keep: false };
        if (error.status === 401 || code === 'invalid_client') {
          return { answer: answer(502, 'server_error', `The sign-in provider refused the relay's client credentials (${code}): its operator should check OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET and OAUTH_CLIENT_AUTH.`), keep: false };
        }
        return { answer: { status: error.status, body: { error: code, ...(description ? { error_description: description } : {}), ...(uri ? { error_uri: uri } : {}) } }, keep: true };
      }
      if (error instanceof oauth.WWWAuthenticateChallengeError) {
        return { answer: answer(502, 'server_error', "The sign-in provider refused the relay's client credentials: its operator should check OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET and OAUTH_CLIENT_AUTH."), keep: false };
      }
      if (status !== 200) return { answer: answer(502, 'server_error', `The sign-in provider answered ${status} without an OAuth error.`), keep: false };
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // Nothing readable was issued.
      }
      const hadIdToken = !!body && typeof body === 'object' && 'id_token' in body;
      const revoked = await revokeIssued(at.revoke, body);
      return { answer: answer(502, 'server_error', `The relay refused the sign-in provider's answer: ${refusal(error, mode, provider, hadIdToken)}. ${revoked}`), keep: true };
    }
  }

  /**
   * Keeps work going after the client hangs up: a Worker stops with its request otherwise (worker.ts passes its
   * `waitUntil`); on Node nothing stops it.
   */
  const keepAlive = (c: Context, work: Promise<unknown>) => (c.env as RelayBindings | undefined)?.waitUntil?.(work);

  app.get('/authorize', (c) => {
    // The provider answers the rep, and names itself there if it does (RFC 9207): the relay's own errors carry no iss.
    const checked = checkAuthorizeRequest(c, mode.clientId, config.allowedRedirectUris);
    if (!checked.ok) return checked.answer;
    const { request, fail } = checked;
    let upstream: URL;
    try {
      // Every endpoint this sign-in will need is resolved now: a missing domain is said before consent, not after.
      upstream = new URL(endpoints(request.domain).authorize);
    } catch (error) {
      return fail('invalid_request', error instanceof AgileDomainError ? error.message : 'Bad Agile CRM domain.');
    }
    for (const name of FORWARDED) {
      const value = request[name];
      if (value !== undefined) upstream.searchParams.set(name, value);
    }
    for (const name of Object.keys(mode.authorizationParameters)) {
      const value = c.req.query(name);
      if (value !== undefined && value.length <= 2048) upstream.searchParams.set(name, value);
    }
    return c.redirect(upstream.href, 302);
  });

  app.post('/token', async (c) => {
    const request = await readTokenRequest(c, config.allowedRedirectUris);
    if (request instanceof Response) return request;
    let at: Endpoints;
    try {
      at = endpoints(request.domain);
    } catch (error) {
      return oauthError(c, 400, 'invalid_request', error instanceof Error ? error.message : 'Bad Agile CRM domain.');
    }
    let work: Promise<RelayAnswer>;
    if (request.grant_type === 'authorization_code') {
      work = exchange(at, 'authorization_code', { code: request.code, code_verifier: request.code_verifier, redirect_uri: request.redirect_uri }).then((done) => done.answer);
    } else {
      const refreshToken = request.refresh_token;
      work = answers.once(refreshToken, () => exchange(at, 'refresh_token', { refresh_token: refreshToken }));
    }
    keepAlive(c, work);
    const { status, body } = await work;
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
  });

  app.post('/revoke', async (c) => {
    const form = await readForm(c, RevokeRequest);
    if (!form.ok) return oauthError(c, 400, 'invalid_request', form.description);
    let at: Endpoints;
    try {
      at = endpoints(form.value.domain);
    } catch (error) {
      return oauthError(c, 400, 'invalid_request', error instanceof Error ? error.message : 'Bad Agile CRM domain.');
    }
    if (!at.revoke) return oauthError(c, 400, 'unsupported_token_type', 'The sign-in provider offers no token revocation.');
    try {
      const response = await oauth.revocationRequest({ ...issuer, revocation_endpoint: at.revoke }, client, clientAuth, form.value.token, {
        ...options(at.revoke),
        ...(form.value.token_type_hint ? { additionalParameters: { token_type_hint: form.value.token_type_hint } } : {}),
      });
      await oauth.processRevocationResponse(response);
      return c.body(null, 200);
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.status < 500) {
        return c.json({ error: error.error, ...(error.error_description ? { error_description: error.error_description } : {}) }, error.status === 401 ? 502 : 400);
      }
      return oauthError(c, 502, 'temporarily_unavailable', 'The sign-in provider did not take the revocation. Try again in a moment.');
    }
  });

  return app;
}
