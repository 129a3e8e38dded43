/**
 * Sign-in, start to finish, in the service worker (a popup dies when the auth window takes focus):
 *
 * 1. Discovery (RFC 8414) at the relay: endpoints and the public client id.
 * 2. Authorization request with PKCE S256 (RFC 7636) and a one-time `state`, through
 *    `chrome.identity.launchWebAuthFlow`.
 * 3. Authorization response validated (`state`, RFC 9207 `iss` when the server sends it).
 * 4. Code exchanged at the relay's token endpoint, which adds the client secret the extension never sees.
 * 5. Refresh shortly before expiry or after a 401 — one refresh at a time, however many callers wait.
 * 6. Sign-out revokes at the relay (RFC 7009) and forgets everything.
 *
 * oauth4webapi does the protocol work; this module decides when, and turns failures into words.
 */
import * as oauth from 'oauth4webapi';
import * as v from 'valibot';
import browser from 'webextension-polyfill';
import { AppError } from '../shared/errors';
import { isLoopbackHost } from '../shared/loopback';
import type { SessionView } from '../shared/messages';
import { parseAgileAccount, parseServiceUrl, SettingsError, type AgileAccount } from '../shared/settings';
import { contactCache } from './contact-cache';
import { loadSettings } from './settings-store';
import { tokenStore, type Access, type Grant } from './token-store';

/** Renew this long before the access token expires (at most a quarter of its life, for short-lived tokens). */
const REFRESH_MARGIN_MS = 60_000;
const REQUEST_TIMEOUT_MS = 8_000;

/** http is accepted only for a relay on this machine (development, the sandbox). */
function requestOptions(url: string) {
  return { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), [oauth.allowInsecureRequests]: isLoopbackHost(new URL(url).hostname) };
}

const RelayMetadata = v.object({
  client_id: v.pipe(v.string(), v.minLength(1)),
  authorization_endpoint: v.pipe(v.string(), v.url()),
  /** OAuth mode with an upstream that names itself in authorization responses (RFC 9207). */
  upstream_issuer: v.optional(v.pipe(v.string(), v.url())),
});

/** What the relay adds to its token answers: where to send REST calls, and who signed in. */
const TokenExtras = v.object({
  agile_api_base: v.optional(v.string()),
  agile_web_base: v.optional(v.string()),
  agile_user: v.optional(v.string()),
});

function asServer(grant: Grant): oauth.AuthorizationServer {
  return { issuer: grant.issuer, token_endpoint: grant.tokenEndpoint, revocation_endpoint: grant.revocationEndpoint ?? undefined };
}

function unreachable(url: string): AppError {
  return new AppError('unreachable', `The sign-in relay (${new URL(url).host}) is not reachable. Check your connection, or the relay address in Options.`);
}

/** Step 1: RFC 8414 discovery at the relay. */
async function discoverRelay(relayUrl: string): Promise<{ as: oauth.AuthorizationServer; clientId: string; authorizeUrl: string; responseIssuer: string }> {
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
    return { as, clientId: metadata.client_id, authorizeUrl: metadata.authorization_endpoint, responseIssuer: metadata.upstream_issuer ?? as.issuer };
  } catch {
    throw new AppError('config', `${issuer.host} did not answer like the Agile CRM token relay. Check the relay address in Options.`);
  }
}

/** Step 2: the browser's auth window. Its errors are strings; these are the ones Chromium produces. */
async function launchAuthWindow(url: URL): Promise<URL> {
  try {
    return new URL(await browser.identity.launchWebAuthFlow({ url: url.href, interactive: true }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/could not be loaded/i.test(message)) {
      throw new AppError('unreachable', 'The sign-in page could not be loaded. Check your connection and the relay address in Options.');
    }
    throw new AppError('cancelled', 'Sign-in was cancelled.');
  }
}

/** Turns a token-endpoint failure into words. `invalid_grant` on refresh means the session is over. */
function tokenFailure(error: unknown, refreshing: boolean): AppError {
  if (error instanceof oauth.ResponseBodyError) {
    if (refreshing && error.error === 'invalid_grant') return new AppError('signed_out', 'Your Agile CRM session has ended. Sign in again.');
    if (error.status >= 500) return new AppError('server', 'The sign-in relay is having trouble. Try again in a moment.');
    return new AppError('rejected', `Sign-in was refused: ${error.error_description ?? error.error}`);
  }
  if (error instanceof AppError) return error;
  return new AppError('rejected', 'The sign-in relay answered in a way the extension does not understand.');
}

function resolveBase(given: string | undefined, account: AgileAccount, suffix: string): string {
  if (given) return parseServiceUrl(given, 'agile', 'The Agile CRM address the relay gave');
  if (account.kind === 'none') throw new AppError('config', 'Set your Agile CRM domain in Options, then sign in again.');
  return `${account.base}${suffix}`;
}

/** Steps 4–5: keeps a token answer, rotated refresh token first. */
async function keepTokens(tokens: oauth.TokenEndpointResponse, base: Omit<Grant, 'refreshToken' | 'apiBase' | 'webBase' | 'user'>, previous: Grant | null, account: AgileAccount): Promise<Access> {
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
  if (!grant.refreshToken) throw await endSession();
  const as = asServer(grant);
  const client = { client_id: grant.clientId };
  let response: Response;
  try {
    response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), grant.refreshToken, {
      ...requestOptions(grant.tokenEndpoint),
      ...(grant.domain ? { additionalParameters: { domain: grant.domain } } : {}),
    });
  } catch {
    throw unreachable(grant.tokenEndpoint);
  }
  try {
    const tokens = await oauth.processRefreshTokenResponse(as, client, response);
    const { refreshToken: _r, apiBase: _a, webBase: _w, user: _u, ...base } = grant;
    return await keepTokens(tokens, base, grant, { kind: 'none' });
  } catch (error) {
    const failure = tokenFailure(error, true);
    // A refused refresh token will never work again: forget it, so nothing loops on it.
    if (failure.code === 'signed_out') await endSession();
    throw failure;
  }
}

/** Forgets the session and everything fetched with it: cached contacts belong to the account that fetched them. */
async function endSession(): Promise<AppError> {
  current = null;
  await tokenStore.clear();
  await contactCache.clear();
  return new AppError('signed_out', 'Your Agile CRM session has ended. Sign in again.');
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
    return { token: renewed.accessToken, apiBase: grant.apiBase };
  });
}

let signingIn: Promise<SessionView> | null = null;

/** Steps 1–4. A second click while the window is open joins the flow already running. */
export function signIn(): Promise<SessionView> {
  signingIn ??= runSignIn().finally(() => {
    signingIn = null;
  });
  return signingIn;
}

async function runSignIn(): Promise<SessionView> {
  const settings = await loadSettings();
  let account: AgileAccount;
  try {
    account = parseAgileAccount(settings.agile);
  } catch (error) {
    throw new AppError('config', error instanceof SettingsError ? error.message : 'Check the Agile CRM domain in Options.');
  }
  const { as, clientId, authorizeUrl, responseIssuer } = await discoverRelay(settings.relayUrl);
  const client = { client_id: clientId };
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const redirectUri = browser.identity.getRedirectURL();
  const domain = account.kind === 'domain' ? account.domain : null;

  const url = new URL(authorizeUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (domain) url.searchParams.set('domain', domain);

  const callback = await launchAuthWindow(url);
  let params: URLSearchParams;
  try {
    // The authorization response comes from whoever showed the consent page: the upstream in OAuth mode.
    params = oauth.validateAuthResponse({ ...as, issuer: responseIssuer }, client, callback, state);
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      if (error.error === 'access_denied') throw new AppError('cancelled', 'Sign-in was cancelled.');
      throw new AppError('rejected', `Sign-in failed: ${error.error_description ?? error.error}`);
    }
    throw new AppError('rejected', 'The sign-in answer did not match this sign-in (state or issuer check failed). Nothing was saved.');
  }

  let response: Response;
  try {
    response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, codeVerifier, {
      ...requestOptions(settings.relayUrl),
      ...(domain ? { additionalParameters: { domain } } : {}),
    });
  } catch {
    throw unreachable(settings.relayUrl);
  }
  let tokens: oauth.TokenEndpointResponse;
  try {
    tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  } catch (error) {
    throw tokenFailure(error, false);
  }
  await serialized(async () => {
    // Signing in again replaces the old grant: revoke it, and drop what it fetched.
    const previous = await loadCurrent();
    if (previous) await endSession().then(() => revokeAtRelay(previous.grant));
    await keepTokens(tokens, {
      issuer: as.issuer,
      tokenEndpoint: as.token_endpoint ?? `${settings.relayUrl}/token`,
      revocationEndpoint: as.revocation_endpoint ?? null,
      clientId,
      domain,
    }, null, account);
  });
  return sessionView();
}

/** RFC 7009 at the relay, best effort: an unreachable relay must not keep the rep signed in. */
async function revokeAtRelay(grant: Grant): Promise<void> {
  if (!grant.revocationEndpoint || !grant.refreshToken) return;
  try {
    const response = await oauth.revocationRequest(asServer(grant), { client_id: grant.clientId }, oauth.None(), grant.refreshToken, {
      ...requestOptions(grant.revocationEndpoint),
      additionalParameters: { token_type_hint: 'refresh_token', ...(grant.domain ? { domain: grant.domain } : {}) },
    });
    await oauth.processRevocationResponse(response);
  } catch {
    // Signed out locally either way; the relay's tokens expire on their own.
  }
}

/**
 * Step 6: forget everything, then revoke at the relay. Also the end when Agile CRM refuses even a freshly renewed
 * token: that sign-in is of no more use.
 */
export function signOut(): Promise<SessionView> {
  return serialized(async () => {
    const session = await loadCurrent();
    await endSession();
    if (session) await revokeAtRelay(session.grant);
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
