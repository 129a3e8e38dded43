/**
 * The sandbox's OAuth 2.0 authorization server, at the paths integration guides give for Agile CRM:
 * `GET|POST /oauth/authorize` (RFC 6749 §4.1 with PKCE S256 required, RFC 7636), `POST /oauth/token`
 * (authorization_code, refresh_token with rotation) and `POST /oauth/revoke` (RFC 7009).
 *
 * Switches on the state make it behave like stricter providers: scopes it requires, refresh tokens only for
 * `offline_access` or none at all, RFC 9207 `iss`, discovery (RFC 8414 or OpenID Connect Discovery) and OpenID
 * Connect ID tokens signed with a key published at `/oauth/jwks`, and `prompt=none` against the sign-in session
 * the consent page leaves in a cookie.
 */
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { CODE_VERIFIER, S256_CHALLENGE } from '../shared/oauth-syntax';
import { s256, timingSafeEqual } from '../shared/random';
import { consentPage, errorPage } from './pages';
import type { OAuthClient, SandboxState } from './state';

const SESSION_COOKIE = 'sandbox_session';
/** OpenID Connect Core §3.1.2.1, plus `create` (Initiating User Registration). */
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account', 'create']);
const ID_TOKEN_TTL = 300;

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type';

function tokenError(c: Context, status: 400 | 401, error: OAuthErrorCode, description: string) {
  c.header('Cache-Control', 'no-store');
  if (status === 401) c.header('WWW-Authenticate', 'Basic realm="oauth"');
  return c.json({ error, error_description: description }, status);
}

/** Redirects back to a *verified* redirect URI with the response parameters. */
function redirectBack(c: Context, redirectUri: string, params: Record<string, string | undefined>) {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return c.redirect(url.href, 302);
}

/** Client authentication by secret: HTTP Basic (RFC 6749 §2.3.1) or `client_secret` in the body. */
function authenticateClient(state: SandboxState, header: string | undefined, body: Record<string, unknown>): OAuthClient | null {
  let id: unknown = body.client_id;
  let secret: unknown = body.client_secret;
  if (header?.startsWith('Basic ')) {
    try {
      const decoded = atob(header.slice(6));
      const colon = decoded.indexOf(':');
      id = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    } catch {
      return null;
    }
  }
  if (typeof id !== 'string' || typeof secret !== 'string') return null;
  const client = state.client(id);
  return client && timingSafeEqual(client.clientSecret, secret) ? client : null;
}

async function formBody(c: Context): Promise<Record<string, unknown> | null> {
  if (!c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded')) return null;
  try {
    return Object.fromEntries(new URLSearchParams(await c.req.text()));
  } catch {
    return null;
  }
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

type Grant = Parameters<SandboxState['issueTokens']>[0];

export function oauthRoutes(state: SandboxState): Hono {
  const app = new Hono();

  /** Tokens for a grant, with an ID token when `openid` was granted (its nonce only in the code exchange's). */
  const tokenAnswer = async (c: Context, grant: Grant, first: boolean) => {
    const answer: Record<string, unknown> = { ...state.issueTokens(grant, !first), token_type: 'Bearer', scope: grant.scope };
    const user = state.userByEmail(grant.userEmail);
    if (grant.scope.split(' ').includes('openid') && user) {
      const forgery = state.faults.forgeIdToken;
      state.faults.forgeIdToken = null;
      answer.id_token = await state.idTokens().sign({
        issuer: new URL(c.req.url).origin, audience: grant.clientId, subject: String(user.id), email: user.email, name: user.name,
        nonce: first ? grant.nonce : undefined, ttl: ID_TOKEN_TTL,
      }, forgery);
    }
    return answer;
  };

  app.get('/authorize', (c) => {
    const q = c.req.query();
    const client = state.client(text(q.client_id));
    // Until client and redirect URI are verified, errors are shown here, never redirected (RFC 6749 §4.1.2.1).
    if (!client) return c.html(errorPage('Unknown application', 'This sign-in link names an application that is not registered.'));
    const redirectUri = text(q.redirect_uri);
    if (!client.redirectUris.includes(redirectUri)) {
      return c.html(errorPage('Wrong redirect address', 'The redirect_uri does not exactly match the one registered for this application.'));
    }
    // RFC 9207 §2: a server that names itself does so in error responses too.
    const iss = state.sendIssuer ? { iss: new URL(c.req.url).origin } : {};
    const reply = (error: string, description: string) =>
      redirectBack(c, redirectUri, { error, error_description: description, state: q.state, ...iss });
    if (q.response_type !== 'code') return reply('unsupported_response_type', 'Only response_type=code is supported.');
    if (!q.code_challenge || q.code_challenge_method !== 'S256') {
      return reply('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256.');
    }
    if (!S256_CHALLENGE.test(q.code_challenge)) return reply('invalid_request', 'code_challenge is not a S256 challenge.');
    const prompt = text(q.prompt).split(' ').filter(Boolean);
    if (prompt.some((value) => !PROMPTS.has(value)) || (prompt.includes('none') && prompt.length > 1)) {
      return reply('invalid_request', 'prompt must be none alone, or any of login, consent, select_account, create.');
    }
    const scope = text(q.scope);
    const missing = state.requiredScopes.filter((name) => !scope.split(' ').includes(name));
    if (missing.length > 0) return reply('access_denied', `This application must request the scope ${missing.join(' ')}.`);
    const pending = { clientId: client.clientId, redirectUri, state: q.state, codeChallenge: q.code_challenge, scope, prompt, nonce: q.nonce };
    if (prompt.includes('none')) {
      // No page may be shown: answer at once from the sign-in session and the consent already given.
      state.hit('authorize.silent');
      const email = state.sessionUser(getCookie(c, SESSION_COOKIE));
      if (!email) return reply('login_required', 'Nobody is signed in.');
      if (!state.hasConsent(email, client.clientId, scope)) return reply('consent_required', 'The user has not consented to this scope.');
      const issued = state.issueCode(state.beginAuthorization(pending), email)!;
      return redirectBack(c, redirectUri, { code: issued.code, state: q.state, ...iss });
    }
    const requestId = state.beginAuthorization(pending);
    return c.html(consentPage({ requestId, clientId: client.clientId, email: 'demo@example.com' }));
  });

  app.post('/authorize', async (c) => {
    const body = (await formBody(c)) ?? {};
    const requestId = text(body.request_id);
    const request = state.pendingAuthorization(requestId);
    if (!request) return c.html(errorPage('Sign-in expired', 'This sign-in page has expired. Start signing in again from the extension.'));
    if (body.decision !== 'allow') {
      state.endAuthorization(requestId);
      return redirectBack(c, request.redirectUri, {
        error: 'access_denied', error_description: 'The user denied access.', state: request.state, ...(state.sendIssuer ? { iss: new URL(c.req.url).origin } : {}),
      });
    }
    const user = state.userByPassword(text(body.email), text(body.password));
    if (!user) {
      // A 4xx here would end launchWebAuthFlow; the page answers 200 and lets the user try again.
      return c.html(consentPage({ requestId, clientId: request.clientId, email: text(body.email), error: 'Wrong email or password. Try again.' }));
    }
    const issued = state.issueCode(requestId, user.email);
    if (!issued) return c.html(errorPage('Sign-in expired', 'Start signing in again from the extension.'));
    state.recordConsent(user.email, request.clientId, request.scope);
    setCookie(c, SESSION_COOKIE, state.startSession(user.email), { path: '/oauth', httpOnly: true, sameSite: 'Lax' });
    const tamper = state.faults.tamperAuthorizationResponse;
    if (tamper) {
      state.faults.tamperAuthorizationResponse = null;
      const params = new URLSearchParams({ code: issued.code, ...(request.state !== undefined ? { state: request.state } : {}) });
      tamper(params);
      return redirectBack(c, request.redirectUri, Object.fromEntries(params));
    }
    return redirectBack(c, request.redirectUri, { code: issued.code, state: request.state, ...(state.sendIssuer ? { iss: new URL(c.req.url).origin } : {}) });
  });

  app.post('/token', async (c) => {
    const body = await formBody(c);
    if (!body) return tokenError(c, 400, 'invalid_request', 'Send an application/x-www-form-urlencoded body.');
    const client = authenticateClient(state, c.req.header('authorization'), body);
    if (!client) return tokenError(c, 401, 'invalid_client', 'Client authentication failed.');
    state.hit(`token.${text(body.grant_type) || 'none'}`);
    c.header('Cache-Control', 'no-store');

    if (body.grant_type === 'authorization_code') {
      const code = state.redeemCode(text(body.code));
      if (code === 'replayed') return tokenError(c, 400, 'invalid_grant', 'The authorization code was already used; its tokens are revoked.');
      if (!code || code.clientId !== client.clientId) return tokenError(c, 400, 'invalid_grant', 'The authorization code is invalid or expired.');
      if (code.redirectUri !== body.redirect_uri) return tokenError(c, 400, 'invalid_grant', 'redirect_uri does not match the authorization request.');
      const verifier = text(body.code_verifier);
      if (!CODE_VERIFIER.test(verifier) || (await s256(verifier)) !== code.codeChallenge) {
        return tokenError(c, 400, 'invalid_grant', 'code_verifier does not match the code_challenge.');
      }
      return c.json(await tokenAnswer(c, state.createGrant(code, client.clientId, code.userEmail, code.scope), true));
    }
    if (body.grant_type === 'refresh_token') {
      const grant = state.useRefreshToken(text(body.refresh_token), client.clientId);
      if (grant === 'reused') return tokenError(c, 400, 'invalid_grant', 'The refresh token was already used; the session is revoked.');
      if (!grant) return tokenError(c, 400, 'invalid_grant', 'The refresh token is invalid, expired or revoked.');
      return c.json(await tokenAnswer(c, grant, false));
    }
    return tokenError(c, 400, 'unsupported_grant_type', 'Use authorization_code or refresh_token.');
  });

  app.post('/revoke', async (c) => {
    const body = await formBody(c);
    if (!body) return tokenError(c, 400, 'invalid_request', 'Send an application/x-www-form-urlencoded body.');
    const client = authenticateClient(state, c.req.header('authorization'), body);
    if (!client) return tokenError(c, 401, 'invalid_client', 'Client authentication failed.');
    state.hit('revoke');
    if (typeof body.token !== 'string' || !body.token) return tokenError(c, 400, 'invalid_request', 'token is required.');
    state.revoke(body.token, client.clientId);
    // RFC 7009 §2.2: 200 whether or not the token was known.
    c.header('Cache-Control', 'no-store');
    return c.body(null, 200);
  });

  app.get('/jwks', async (c) => c.json(await state.idTokens().jwks()));

  return app;
}

/**
 * What the server publishes about itself, when its `discovery` switch says so: RFC 8414 metadata, or OpenID
 * Connect Discovery 1.0. The issuer is the sandbox's origin, as in `iss` and in ID tokens.
 */
export function discoveryRoutes(state: SandboxState): Hono {
  const app = new Hono();
  const metadata = (c: Context) => {
    const issuer = new URL(c.req.url).origin;
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      jwks_uri: `${issuer}/oauth/jwks`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: ['openid', 'email', 'profile', 'offline_access', ...state.requiredScopes],
      prompt_values_supported: [...PROMPTS],
      authorization_response_iss_parameter_supported: state.sendIssuer,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [state.idTokenAlg],
    };
  };
  app.get('/oauth-authorization-server', (c) => (state.discovery === 'oauth' ? c.json(metadata(c)) : c.notFound()));
  app.get('/openid-configuration', (c) => (state.discovery === 'openid' ? c.json(metadata(c)) : c.notFound()));
  return app;
}
