/**
 * Sign-in, start to finish, in the service worker (a popup dies when the auth window takes focus):
 *
 * 1. Discovery (RFC 8414) at the relay: endpoints, the public client id, and the scope and other authorization
 *    parameters the provider requires.
 * 2. Authorization request with PKCE S256 (RFC 7636) and a one-time `state`, through
 *    `chrome.identity.launchWebAuthFlow`.
 * 3. Authorization response validated (`state`, RFC 9207 `iss` when the server sends it).
 * 4. Code exchanged at the relay's token endpoint, which adds the client secret the extension never sees (and, for
 *    OpenID Connect, checks the provider's ID token: it never reaches the extension).
 * 5. Refresh shortly before expiry or after a 401 — one refresh at a time, however many callers wait. Without a
 *    refresh token, a silent re-authentication (`prompt=none`, no window) before asking the rep to sign in again.
 * 6. Sign-out revokes at the relay (RFC 7009) — the refresh token, or the access token when there is none — and
 *    forgets everything.
 *
 * oauth4webapi does the protocol work; this module decides when, and turns failures into words. Every sign-in and
 * refresh failure is written to the worker's console with its code, never with a token.
 */
import * as oauth from 'oauth4webapi';
import * as v from 'valibot';
import { AppError } from '../shared/errors';
import { isLoopbackHost } from '../shared/loopback';
import { PARAMETER_NAME, SCOPE_TOKEN } from '../shared/oauth-syntax';
import type { SessionView } from '../shared/messages';
import { parseAgileAccount, parseServiceUrl, SettingsError, type AgileAccount } from '../shared/settings';
import { contactCache } from './contact-cache';
import { loadSettings } from './settings-store';
import { tokenStore, type Access, type Grant } from './token-store';

/** Renew this long before the access token expires (at most a quarter of its life, for short-lived tokens). */
const REFRESH_MARGIN_MS = 60_000;
const REQUEST_TIMEOUT_MS = 8_000;
const SESSION_ENDED = 'Your Agile CRM session has ended. Sign in again.';

/** http is accepted only for a relay on this machine (development, the sandbox). */
function requestOptions(url: string) {
  return { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), [oauth.allowInsecureRequests]: isLoopbackHost(new URL(url).hostname) };
}

/** The authorization-request parameters the extension sets itself; the relay's metadata cannot replace them. */
const OWN_PARAMETERS = new Set(['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'scope', 'domain']);

const RelayMetadata = v.object({
  client_id: v.pipe(v.string(), v.minLength(1)),
  authorization_endpoint: v.pipe(v.string(), v.url()),
  /** OAuth mode: the provider's issuer, which names itself in authorization responses (RFC 9207). */
  upstream_issuer: v.optional(v.pipe(v.string(), v.url())),
  /** The scope to request (RFC 8414 §2; RFC 6749 §3.3 tokens). */
  scopes_supported: v.optional(v.array(v.pipe(v.string(), v.regex(SCOPE_TOKEN)))),
  /** Other parameters the provider requires (`prompt`, `audience`…). */
  authorization_request_parameters: v.optional(v.record(v.pipe(v.string(), v.regex(PARAMETER_NAME)), v.pipe(v.string(), v.maxLength(2048)))),
  relay_mode: v.optional(v.picklist(['oauth', 'bridge'])),
});

/** What the relay adds to its token answers: where to send REST calls, and who signed in. */
const TokenExtras = v.object({
  agile_api_base: v.optional(v.string()),
  agile_web_base: v.optional(v.string()),
  agile_user: v.optional(v.string()),
});

interface Relay {
  as: oauth.AuthorizationServer;
  clientId: string;
  authorizeUrl: string;
  /** Who answers the authorization request: the provider in OAuth mode, the relay in bridge mode. */
  responseIssuer: string;
  scope: string[];
  parameters: Record<string, string>;
  mode: 'oauth' | 'bridge';
}

function asServer(grant: Grant): oauth.AuthorizationServer {
  return { issuer: grant.issuer, token_endpoint: grant.tokenEndpoint, revocation_endpoint: grant.revocationEndpoint ?? undefined };
}

function unreachable(url: string): AppError {
  return new AppError('unreachable', `The sign-in relay (${new URL(url).host}) is not reachable. Check your connection, or the relay address in Options.`);
}

/** A sign-in or refresh failure, in the worker's console: the step, the rep's error code, the OAuth error code. */
function report(step: string, error: unknown, oauthError?: string): void {
  const code = error instanceof AppError ? error.code : 'internal';
  console.warn(`Agile CRM sign-in: ${step} failed (${code}${oauthError ? `, ${oauthError}` : ''}): ${error instanceof Error ? error.message : String(error)}`);
}

/** Step 1: RFC 8414 discovery at the relay. */
async function discoverRelay(relayUrl: string): Promise<Relay> {
  const issuer = new URL(relayUrl);
  let response: Response;
  try {
    response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...requestOptions(relayUrl) });
  } catch {
    throw unreachable(relayUrl);
  }
  try {
    const as = await oauth.processDiscoveryResponse(issuer, response);
    const metadata = v.parse(RelayMetadata, as);
    return {
      as,
      clientId: metadata.client_id,
      authorizeUrl: metadata.authorization_endpoint,
      responseIssuer: metadata.upstream_issuer ?? as.issuer,
      scope: metadata.scopes_supported ?? [],
      parameters: metadata.authorization_request_parameters ?? {},
      mode: metadata.relay_mode ?? 'oauth',
    };
  } catch {
    throw new AppError('config', `${issuer.host} did not answer like the Agile CRM token relay. Check the relay address in Options.`);
  }
}

/**
 * Step 2: the browser's auth window. Its errors are strings; these are the ones Chromium produces. Non-interactive,
 * the flow ends at the first page that loads without redirecting ("User interaction required"): Chromium's default
 * `abortOnLoadForNonInteractive`, kept because `prompt=none` answers are HTTP redirects, and a provider that shows a
 * page instead should cost the rep no wait before "Sign in again".
 */
async function launchAuthWindow(url: URL, interactive: boolean): Promise<URL> {
  try {
    const landed = await chrome.identity.launchWebAuthFlow({ url: url.href, interactive });
    if (!landed) throw new Error('The flow ended without a redirect URL.');
    return new URL(landed);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/could not be loaded/i.test(message)) {
      throw new AppError('unreachable', 'The sign-in page could not be loaded. Check your connection and the relay address in Options.');
    }
    if (!interactive) throw new AppError('signed_out', SESSION_ENDED);
    throw new AppError('cancelled', 'Sign-in was cancelled.');
  }
}

/** A denial the rep gave (RFC 6749 `access_denied` with no reason, or one that says the user declined). */
const DENIED_BY_THE_REP = /\b(user|end-user|resource owner)\b[^.]*\b(denied|declined|cancell?ed|aborted|did not (authori[sz]e|approve|consent))/i;

/** An error answer to the authorization request, in words: "cancelled" only when the rep said no. */
function authorizationFailure(error: string, description: string | null): AppError {
  if (error === 'access_denied' && (!description || DENIED_BY_THE_REP.test(description))) return new AppError('cancelled', 'Sign-in was cancelled.');
  return new AppError('rejected', `The sign-in provider refused: ${error}${description ? ` — ${description}` : ''}`);
}

/** Step 3: `state` (and `iss`, RFC 9207) checked before anything in the answer is used. */
function checkAuthResponse(relay: Relay, callback: URL, state: string): URLSearchParams {
  const params = callback.searchParams;
  const mismatch = () => new AppError('rejected', 'The sign-in answer did not match this sign-in (state check failed). Nothing was saved.');
  const error = params.get('error');
  if (error !== null) {
    // An error answer grants nothing, so it is read even without `iss`: the relay's own refusals carry none.
    if (params.get('state') !== state) throw mismatch();
    throw authorizationFailure(error, params.get('error_description'));
  }
  const iss = params.get('iss');
  if (iss !== null && iss !== relay.responseIssuer) {
    const expected = relay.mode === 'oauth' && relay.responseIssuer !== relay.as.issuer ? ` instead of ${relay.responseIssuer}` : '';
    throw new AppError('config', `The sign-in provider answered as ${iss}${expected}, which the relay was not told to expect. If that is your provider, the relay's operator should set OAUTH_ISSUER=${iss}. Nothing was saved.`);
  }
  try {
    return oauth.validateAuthResponse({ ...relay.as, issuer: relay.responseIssuer }, { client_id: relay.clientId }, callback, state);
  } catch (failure) {
    if (iss === null && relay.as.authorization_response_iss_parameter_supported) {
      throw new AppError('rejected', `The sign-in answer did not name its issuer (iss), though ${relay.responseIssuer} says it always does (RFC 9207). Nothing was saved.`);
    }
    if (failure instanceof oauth.AuthorizationResponseError) throw authorizationFailure(failure.error, failure.error_description ?? null);
    throw mismatch();
  }
}

/** Turns a token-endpoint failure into words. `invalid_grant` on refresh means the session is over. */
function tokenFailure(error: unknown, refreshing: boolean, mode: Grant['relayMode']): AppError {
  if (error instanceof oauth.ResponseBodyError) {
    // The bridge's refusals are written for the rep (an API key changed in Agile CRM); a provider's are not.
    if (refreshing && error.error === 'invalid_grant') return new AppError('signed_out', mode === 'bridge' && error.error_description ? error.error_description : SESSION_ENDED);
    if (error.status >= 500) {
      return new AppError('server', error.error_description ? `Sign-in failed: ${error.error_description}` : 'The sign-in relay is having trouble. Try again in a moment.');
    }
    return new AppError('rejected', `The sign-in provider refused: ${error.error}${error.error_description ? ` — ${error.error_description}` : ''}`);
  }
  if (error instanceof AppError) return error;
  return new AppError('rejected', 'The sign-in relay answered in a way the extension does not understand.');
}

function resolveBase(given: string | undefined, account: AgileAccount, suffix: string): string {
  if (given) return parseServiceUrl(given, 'agile', 'The Agile CRM address the relay gave');
  if (account.kind === 'none') throw new AppError('config', 'Set your Agile CRM domain in Options, then sign in again.');
  return `${account.base}${suffix}`;
}

type GrantBase = Omit<Grant, 'refreshToken' | 'apiBase' | 'webBase' | 'user'>;

/** Steps 4–5: keeps a token answer, rotated refresh token first. */
async function keepTokens(tokens: oauth.TokenEndpointResponse, base: GrantBase, previous: Grant | null, account: AgileAccount): Promise<Access> {
  const extras = v.parse(TokenExtras, tokens);
  const grant: Grant = {
    ...base,
    refreshToken: tokens.refresh_token ?? previous?.refreshToken ?? '',
    apiBase: extras.agile_api_base ? resolveBase(extras.agile_api_base, account, '') : (previous?.apiBase ?? resolveBase(undefined, account, '/dev/api')),
    webBase: extras.agile_web_base ? resolveBase(extras.agile_web_base, account, '') : (previous?.webBase ?? resolveBase(undefined, account, '')),
    user: extras.agile_user ?? previous?.user ?? null,
  };
  const lifetime = (tokens.expires_in ?? 3600) * 1000;
  const now = Date.now();
  const access: Access = {
    accessToken: tokens.access_token,
    expiresAt: now + lifetime,
    refreshAt: now + lifetime - Math.min(REFRESH_MARGIN_MS, lifetime / 4),
    refreshToken: grant.refreshToken,
  };
  await tokenStore.save(grant, access);
  current = { grant, access };
  return access;
}

/** The worker's copy of what is in storage; reloaded after a restart, updated only inside `serialized`. */
let current: { grant: Grant; access: Access | null } | null = null;
let queue: Promise<unknown> = Promise.resolve();

/** Runs token work one piece at a time, so concurrent callers share one refresh instead of racing. */
function serialized<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work, work);
  queue = run.catch(() => undefined);
  return run;
}

async function loadCurrent(): Promise<{ grant: Grant; access: Access | null } | null> {
  if (current) return current;
  const grant = await tokenStore.loadGrant();
  if (!grant) return null;
  const access = await tokenStore.loadAccess();
  current = { grant, access: access && access.refreshToken === grant.refreshToken ? access : null };
  return current;
}

async function refresh(grant: Grant): Promise<Access> {
  if (!grant.refreshToken) return reauthenticate(grant);
  const as = asServer(grant);
  const client = { client_id: grant.clientId };
  let response: Response;
  try {
    response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), grant.refreshToken, {
      ...requestOptions(grant.tokenEndpoint),
      ...(grant.domain ? { additionalParameters: { domain: grant.domain } } : {}),
    });
  } catch {
    const failure = unreachable(grant.tokenEndpoint);
    report('refresh', failure);
    throw failure;
  }
  try {
    const tokens = await oauth.processRefreshTokenResponse(as, client, response);
    const { refreshToken: _r, apiBase: _a, webBase: _w, user: _u, ...base } = grant;
    return await keepTokens(tokens, base, grant, { kind: 'none' });
  } catch (error) {
    const failure = tokenFailure(error, true, grant.relayMode);
    report('refresh', failure, error instanceof oauth.ResponseBodyError ? error.error : undefined);
    // A refused refresh token will never work again: forget it, so nothing loops on it.
    if (failure.code === 'signed_out') await endSession();
    throw failure;
  }
}

/**
 * No refresh token (the provider issues none): sign in again without a window, `prompt=none`, on the provider's
 * own session. Only when that fails is the rep asked, once.
 */
async function reauthenticate(grant: Grant): Promise<Access> {
  try {
    const authorized = await authorize(false);
    return await keepTokens(authorized.tokens, authorized.base, grant, authorized.account);
  } catch (error) {
    report('silent re-authentication', error);
    await endSession();
    throw new AppError('signed_out', SESSION_ENDED);
  }
}

/** Forgets the session and everything fetched with it: cached contacts belong to the account that fetched them. */
async function endSession(): Promise<AppError> {
  current = null;
  await tokenStore.clear();
  await contactCache.clear();
  return new AppError('signed_out', SESSION_ENDED);
}

export interface AccessGrant {
  token: string;
  apiBase: string;
}

/**
 * A valid access token for the Agile client. After a 401, pass the token that failed: if another caller has
 * refreshed meanwhile, its new token is returned instead of refreshing twice.
 *
 * @example const { token, apiBase } = await getAccessToken();
 */
export function getAccessToken(failedToken?: string): Promise<AccessGrant> {
  return serialized(async () => {
    const session = await loadCurrent();
    if (!session) throw new AppError('signed_out', 'Sign in to Agile CRM to look up contacts.');
    const { grant, access } = session;
    if (access && Date.now() < access.refreshAt && access.accessToken !== failedToken) return { token: access.accessToken, apiBase: grant.apiBase };
    const renewed = await refresh(grant);
    return { token: renewed.accessToken, apiBase: current?.grant.apiBase ?? grant.apiBase };
  });
}

let signingIn: Promise<SessionView> | null = null;

/** Steps 1–4. A second click while the window is open joins the flow already running. */
export function signIn(): Promise<SessionView> {
  signingIn ??= runSignIn().catch((error: unknown) => {
    report('sign-in', error);
    throw error;
  }).finally(() => {
    signingIn = null;
  });
  return signingIn;
}

interface Authorized {
  tokens: oauth.TokenEndpointResponse;
  base: GrantBase;
  account: AgileAccount;
}

/** Steps 1–4, with a window (`interactive`) or without one (`prompt=none`). Nothing is stored here. */
async function authorize(interactive: boolean): Promise<Authorized> {
  const settings = await loadSettings();
  let account: AgileAccount;
  try {
    account = parseAgileAccount(settings.agile);
  } catch (error) {
    throw new AppError('config', error instanceof SettingsError ? error.message : 'Check the Agile CRM domain in Options.');
  }
  const relay = await discoverRelay(settings.relayUrl);
  const client = { client_id: relay.clientId };
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const redirectUri = chrome.identity.getRedirectURL();
  const domain = account.kind === 'domain' ? account.domain : null;

  const url = new URL(relay.authorizeUrl);
  for (const [name, value] of Object.entries(relay.parameters)) if (!OWN_PARAMETERS.has(name)) url.searchParams.set(name, value);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', relay.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (relay.scope.length > 0) url.searchParams.set('scope', relay.scope.join(' '));
  // OpenID Connect Core §3.1.2.1: answer at once from the provider's session, or with login_required.
  if (!interactive) url.searchParams.set('prompt', 'none');
  if (domain) url.searchParams.set('domain', domain);

  const params = checkAuthResponse(relay, await launchAuthWindow(url, interactive), state);
  let response: Response;
  try {
    response = await oauth.authorizationCodeGrantRequest(relay.as, client, oauth.None(), params, redirectUri, codeVerifier, {
      ...requestOptions(settings.relayUrl),
      ...(domain ? { additionalParameters: { domain } } : {}),
    });
  } catch {
    throw unreachable(settings.relayUrl);
  }
  const raw = response.clone();
  let tokens: oauth.TokenEndpointResponse;
  try {
    tokens = await oauth.processAuthorizationCodeResponse(relay.as, client, response);
  } catch (error) {
    // Tokens the extension cannot use must not stay live: nobody would ever revoke them.
    if (raw.ok) await revokeIssued(relay, domain, await raw.json().catch(() => null));
    throw tokenFailure(error, false, relay.mode);
  }
  const base: GrantBase = {
    issuer: relay.as.issuer,
    tokenEndpoint: relay.as.token_endpoint ?? `${settings.relayUrl}/token`,
    revocationEndpoint: relay.as.revocation_endpoint ?? null,
    clientId: relay.clientId,
    domain,
    relayMode: relay.mode,
  };
  return { tokens, base, account };
}

async function runSignIn(): Promise<SessionView> {
  const { tokens, base, account } = await authorize(true);
  await serialized(async () => {
    // Signing in again replaces the old grant: revoke it, and drop what it fetched.
    const previous = await loadCurrent();
    if (previous) await endSession().then(() => revokeAtRelay(previous.grant, previous.access?.accessToken));
    try {
      await keepTokens(tokens, base, null, account);
    } catch (error) {
      await revokeIssued({ as: { issuer: base.issuer, revocation_endpoint: base.revocationEndpoint ?? undefined }, clientId: base.clientId }, base.domain, tokens);
      throw error;
    }
  });
  return sessionView();
}

/** RFC 7009 at the relay, best effort: an unreachable relay must not keep the rep signed in. */
async function revoke(as: oauth.AuthorizationServer, clientId: string, domain: string | null, token: string, hint: 'refresh_token' | 'access_token'): Promise<void> {
  if (!as.revocation_endpoint) return;
  try {
    const response = await oauth.revocationRequest(as, { client_id: clientId }, oauth.None(), token, {
      ...requestOptions(as.revocation_endpoint),
      additionalParameters: { token_type_hint: hint, ...(domain ? { domain } : {}) },
    });
    await oauth.processRevocationResponse(response);
  } catch {
    // Signed out locally either way; the tokens expire on their own.
  }
}

/** Revokes what a token answer issued: its refresh token, or its access token when it has none. */
async function revokeIssued(relay: Pick<Relay, 'as' | 'clientId'>, domain: string | null, answer: unknown): Promise<void> {
  const body = answer && typeof answer === 'object' ? (answer as Record<string, unknown>) : {};
  if (typeof body.refresh_token === 'string') await revoke(relay.as, relay.clientId, domain, body.refresh_token, 'refresh_token');
  else if (typeof body.access_token === 'string') await revoke(relay.as, relay.clientId, domain, body.access_token, 'access_token');
}

/** Ends a grant at the relay: the refresh token ends all of it; without one, the access token is what is live. */
async function revokeAtRelay(grant: Grant, accessToken: string | undefined): Promise<void> {
  if (grant.refreshToken) await revoke(asServer(grant), grant.clientId, grant.domain, grant.refreshToken, 'refresh_token');
  else if (accessToken) await revoke(asServer(grant), grant.clientId, grant.domain, accessToken, 'access_token');
}

/**
 * Step 6: forget everything, then revoke at the relay. Also the end when Agile CRM refuses even a freshly renewed
 * token: that sign-in is of no more use.
 */
export function signOut(): Promise<SessionView> {
  return serialized(async () => {
    const session = await loadCurrent();
    await endSession();
    if (session) await revokeAtRelay(session.grant, session.access?.accessToken);
  }).then(sessionView);
}

export async function sessionView(): Promise<SessionView> {
  const [session, settings] = await Promise.all([serialized(loadCurrent), loadSettings()]);
  return {
    signedIn: !!session,
    user: session?.grant.user ?? null,
    webBase: session?.grant.webBase ?? null,
    relayUrl: settings.relayUrl,
  };
}
