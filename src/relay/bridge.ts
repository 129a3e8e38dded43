/**
 * Bridge mode: Agile CRM has no OAuth server for third-party apps, so the relay plays one for it. The rep signs
 * in on the relay's page with domain, email and REST API key; the key is checked against the account, sealed
 * into opaque tokens (see seal.ts) and used only here, to add Basic credentials to the calls the extension makes
 * through `/agile/...`. The key never reaches the browser.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import { AgileDomainError, fillDomain, parseAgileDomain } from '../shared/agile-domain';
import { isEmailAddress } from '../shared/email';
import { randomToken, s256 } from '../shared/random';
import type { BridgeMode, RelayConfig } from './config';
import { readForm } from './middleware/form-body';
import { oauthError } from './middleware/oauth-error';
import { authorizeErrorPage, bridgeSignInPage } from './pages';
import { checkAuthorizeRequest, readTokenRequest, RevokeRequest } from './requests';
import { createSealer, type Sealer } from './seal';
import { signInLimits, type Refusal } from './sign-in-limits';
import { StoreUnavailableError, type RelayStore } from './store';

export interface BridgeDeps {
  fetch: typeof fetch;
  store: RelayStore;
  /** The client's address key (client-address.ts), which sign-in limits are counted by; null when unknown. */
  clientAddress(c: Context): string | null;
  /** The relay's issuer URL for this request (RFC 9207 `iss`, and the base of `agile_api_base`). */
  issuer(c: Context): string;
}

/** The public client id the bridge serves; the extension reads it from the relay's metadata. */
export const BRIDGE_CLIENT_ID = 'agile-crm-extension';
const CODE_TTL = 60;
const REQUEST_TTL = 15 * 60;
const now = () => Math.floor(Date.now() / 1000);

/** Why a grant ended when Agile CRM refused its API key: said again at every later refresh of that session. */
const KEY_REJECTED = 'agile-rejected-key';
const KEY_REJECTED_WORDS = 'Agile CRM no longer accepts the API key this session was signed in with (it was changed or removed). Sign in again with your current REST API key.';

/** The sign-in page answers 200 even when the store is down: an error status would end the browser's sign-in window. */
function refusedWhenStoreDown(error: unknown): Refusal {
  if (error instanceof StoreUnavailableError) return { ok: false, problem: error.message };
  throw error;
}

const Pending = v.object({ ru: v.string(), st: v.optional(v.string()), cc: v.string(), exp: v.number() });
const Account = { d: v.string(), e: v.string(), k: v.string(), exp: v.number() };
const Code = v.object({ ...Account, ru: v.string(), cc: v.string(), j: v.string() });
const Access = v.object({ ...Account, g: v.string() });
const Refresh = v.object({ ...Account, g: v.string(), j: v.string() });
type AccountPayload = { d: string; e: string; k: string };

async function openAs<T extends v.GenericSchema>(sealer: Sealer, purpose: Parameters<Sealer['open']>[0], token: string, schema: T) {
  const parsed = v.safeParse(schema, await sealer.open(purpose, token));
  return parsed.success && (parsed.output as { exp: number }).exp > now() ? (parsed.output as v.InferOutput<T>) : null;
}

/** `rejected`: Agile said no to these credentials (counts toward the lock-out); `failed`: anything else. */
type CredentialCheck = { ok: true } | { ok: false; rejected: boolean; problem: string };

/**
 * Checks email + API key with a cheap documented read (a contact lookup by the rep's own email): 200 or 204
 * means Agile accepted the credentials.
 */
export async function checkAgileCredentials(fetcher: typeof fetch, apiBase: string, email: string, apiKey: string, timeoutMs: number): Promise<CredentialCheck> {
  const host = new URL(apiBase).host;
  let response: Response;
  try {
    response = await fetcher(`${apiBase}/contacts/search/email/${encodeURIComponent(email)}`, {
      headers: { Authorization: `Basic ${btoa(`${email}:${apiKey}`)}`, Accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
  } catch (error) {
    return {
      ok: false,
      rejected: false,
      problem: error instanceof Error && error.name === 'TimeoutError'
        ? `Agile CRM (${host}) did not answer in time. Try again in a moment.`
        : `Could not reach ${host}. Check the domain, or try again if your connection dropped.`,
    };
  }
  if (response.status === 200 || response.status === 204) return { ok: true };
  if (response.status === 401 || response.status === 403) {
    return { ok: false, rejected: true, problem: 'Agile CRM rejected this email and API key. Check both and try again.' };
  }
  if (response.status === 404 || (response.status >= 300 && response.status < 400)) {
    return { ok: false, rejected: false, problem: `There is no Agile CRM account at ${host}. Check the domain.` };
  }
  return { ok: false, rejected: false, problem: `Agile CRM answered with an error (${response.status}). Try again in a moment.` };
}

/** The extension's Agile calls the bridge forwards: method + path under /dev/api, nothing else. */
const FORWARDED: ReadonlyArray<readonly [string, RegExp]> = [
  ['GET', /^contacts\/search\/email\/(?<email>[^/]+)$/],
  ['POST', /^contacts\/search\/email$/],
  ['GET', /^contacts\/\d{1,20}$/],
  ['GET', /^contacts\/\d{1,20}\/notes$/],
  ['GET', /^contacts\/\d{1,20}\/tasks\/sort$/],
  ['GET', /^contacts\/\d{1,20}\/deals$/],
  ['GET', /^search$/],
  ['POST', /^contacts$/],
  ['PUT', /^contacts\/(?:edit|delete)\/tags$/],
  ['POST', /^notes$/],
  ['POST', /^tasks$/],
];
/**
 * What an email in a path may decode to: an address (shared/email.ts: no spaces, no `\` or `;`, no dot-segment)
 * without `/` or `%`, which a server that decodes the path twice could read as a separator or a new escape.
 */
const isPathEmail = (email: string) => isEmailAddress(email) && !/[/%]/.test(email);

/** The path to forward, re-encoded, or null when the call is not one the extension makes. */
export function forwardedPath(method: string, path: string): string | null {
  for (const [allowed, pattern] of FORWARDED) {
    const match = method === allowed ? pattern.exec(path) : null;
    if (!match) continue;
    const encoded = match.groups?.email;
    if (encoded === undefined) return path;
    let email: string;
    try {
      email = decodeURIComponent(encoded);
    } catch {
      return null;
    }
    return isPathEmail(email) ? `contacts/search/email/${encodeURIComponent(email)}` : null;
  }
  return null;
}
const SEARCH_PARAMS = ['q', 'page_size', 'type'];

export function bridgeRoutes(config: RelayConfig, mode: BridgeMode, deps: BridgeDeps): Hono {
  const app = new Hono();
  const sealer = createSealer(mode.sealKey, mode.previousSealKeys);
  const limits = signInLimits(deps.store, { checkTimeoutMs: config.upstreamTimeoutMs, pauseMs: mode.signInPauseMs });
  const agileBase = (domain: string) => fillDomain(mode.agileBaseUrl, domain);

  const issueTokens = async (c: Context, account: AccountPayload, grant: string, jti: string) => {
    const expires = now();
    const access = await sealer.seal('access', { ...account, g: grant, exp: expires + mode.accessTokenTtl });
    const refresh = await sealer.seal('refresh', { ...account, g: grant, j: jti, exp: expires + mode.refreshTokenTtl });
    return c.json({
      access_token: access,
      token_type: 'Bearer',
      expires_in: mode.accessTokenTtl,
      refresh_token: refresh,
      agile_api_base: `${deps.issuer(c)}/agile`,
      agile_web_base: agileBase(account.d),
      agile_domain: account.d,
      agile_user: account.e,
    });
  };

  app.get('/authorize', async (c) => {
    const checked = checkAuthorizeRequest(c, BRIDGE_CLIENT_ID, config.allowedRedirectUris, deps.issuer(c));
    if (!checked.ok) return checked.answer;
    const { request } = checked;
    const pending = await sealer.seal('request', {
      ru: request.redirect_uri, st: request.state, cc: request.code_challenge, exp: now() + REQUEST_TTL,
    });
    let domain = '';
    try {
      domain = request.domain ? parseAgileDomain(request.domain) : '';
    } catch {
      // A bad hint is just not prefilled; the form validates what the rep submits.
    }
    return c.html(bridgeSignInPage({ requestId: pending, domain, email: '' }));
  });

  app.post('/authorize', async (c) => {
    const form = await readForm(c, v.object({
      request_id: v.pipe(v.string(), v.maxLength(8192)),
      domain: v.optional(v.pipe(v.string(), v.maxLength(300)), ''),
      email: v.optional(v.pipe(v.string(), v.maxLength(300)), ''),
      api_key: v.optional(v.pipe(v.string(), v.maxLength(300)), ''),
    }));
    if (!form.ok) return c.html(authorizeErrorPage('This sign-in form was damaged. Close the window and start again.'));
    const { request_id: requestId, api_key: apiKey } = form.value;
    const client = deps.clientAddress(c);
    // A client over its share is answered before anything is decrypted: a flood costs the relay as little as can be.
    const screened = await limits.screen(client).catch(refusedWhenStoreDown);
    if (screened) return c.html(bridgeSignInPage({ requestId, domain: form.value.domain, email: form.value.email.trim().toLowerCase(), error: screened.problem }));
    const pending = await openAs(sealer, 'request', requestId, Pending);
    if (!pending || !config.allowedRedirectUris.includes(pending.ru)) {
      return c.html(authorizeErrorPage('This sign-in page has expired. Close the window and start again from the extension.'));
    }
    const email = form.value.email.trim().toLowerCase();
    const again = (error: string, domain = form.value.domain) => c.html(bridgeSignInPage({ requestId, domain, email, error }));
    let domain: string;
    try {
      domain = parseAgileDomain(form.value.domain);
    } catch (error) {
      return again(error instanceof AgileDomainError ? error.message : 'Check the domain.');
    }
    if (!isEmailAddress(email)) return again('Enter the email address you sign in to Agile CRM with.', domain);
    if (!apiKey.trim()) return again('Enter your REST API key.', domain);
    if (!/^[\x21-\x7e]+$/.test(email) || !/^[\x21-\x7e]+$/.test(apiKey.trim())) {
      return again('Use the email address and API key exactly as Agile CRM shows them (no spaces or accented letters).', domain);
    }
    // Counted before Agile is called, so parallel attempts cannot slip past the limits.
    const admitAndCheck = async (): Promise<CredentialCheck | Refusal> => {
      const admission = await limits.admit({ domain, email }, client);
      if (!admission.ok) return admission;
      const checked = await checkAgileCredentials(deps.fetch, `${agileBase(domain)}/dev/api`, email, apiKey.trim(), config.upstreamTimeoutMs);
      await admission.settle(checked.ok ? 'accepted' : checked.rejected ? 'rejected' : 'failed');
      return checked;
    };
    const check = await admitAndCheck().catch(refusedWhenStoreDown);
    if (!check.ok) return again(check.problem, domain);
    const code = await sealer.seal('code', {
      d: domain, e: email, k: apiKey.trim(), ru: pending.ru, cc: pending.cc, j: randomToken(16), exp: now() + CODE_TTL,
    });
    const back = new URL(pending.ru);
    back.searchParams.set('code', code);
    if (pending.st !== undefined) back.searchParams.set('state', pending.st);
    back.searchParams.set('iss', deps.issuer(c));
    return c.redirect(back.href, 302);
  });

  /** The grant's rotation record: `<current refresh jti> <previous jti>`, written when it rotated. */
  const rotation = (grant: string) => `grant:${grant}`;
  const revoked = async (grant: string) => (await deps.store.get(`revoked:${grant}`)) !== null;
  /** Ends a grant; the reason is kept so a later refresh can say why in words (compare-and-set: the first reason stays). */
  const revoke = (grant: string, reason = 'revoked') => deps.store.compareAndSet(`revoked:${grant}`, null, reason, mode.refreshTokenTtl);

  app.post('/token', async (c) => {
    const request = await readTokenRequest(c, config.allowedRedirectUris);
    if (request instanceof Response) return request;
    if (request.client_id !== BRIDGE_CLIENT_ID) return oauthError(c, 401, 'invalid_client', `client_id must be ${BRIDGE_CLIENT_ID}.`);
    if (request.grant_type === 'authorization_code') {
      const code = await openAs(sealer, 'code', request.code, Code);
      if (!code || code.ru !== request.redirect_uri) return oauthError(c, 400, 'invalid_grant', 'The authorization code is invalid or expired.');
      if ((await s256(request.code_verifier)) !== code.cc) {
        return oauthError(c, 400, 'invalid_grant', 'code_verifier does not match the code_challenge.');
      }
      // Exactly once: the code's jti is claimed before anything is issued. A replay also revokes the grant
      // the first redemption created (RFC 6749 §4.1.2), since the grant id is the code's jti.
      if (!(await deps.store.claim(`code:${code.j}`, CODE_TTL * 2))) {
        await revoke(code.j);
        return oauthError(c, 400, 'invalid_grant', 'The authorization code was already used.');
      }
      const jti = randomToken(16);
      await deps.store.compareAndSet(rotation(code.j), null, `${jti} -`, mode.refreshTokenTtl);
      return issueTokens(c, { d: code.d, e: code.e, k: code.k }, code.j, jti);
    }
    const refresh = await openAs(sealer, 'refresh', request.refresh_token, Refresh);
    const ended = refresh ? await deps.store.get(`revoked:${refresh.g}`) : null;
    if (!refresh || ended) {
      return oauthError(c, 400, 'invalid_grant', ended?.value === KEY_REJECTED ? KEY_REJECTED_WORDS : 'The session has ended. Sign in again.');
    }
    const account = { d: refresh.d, e: refresh.e, k: refresh.k };
    // Rotation (RFC 9700 §4.14.2): only the grant's current refresh token works, once. The record holds one
    // entry per session, however often it refreshes.
    const record = await deps.store.get(rotation(refresh.g));
    const [current, previous] = record?.value.split(' ') ?? [refresh.j];
    if (refresh.j === current) {
      const next = randomToken(16);
      // A lost record (a relay restart with the in-memory store) is recreated from the token itself.
      if (await deps.store.compareAndSet(rotation(refresh.g), record?.value ?? null, `${next} ${refresh.j}`, mode.refreshTokenTtl)) {
        return issueTokens(c, account, refresh.g, next);
      }
    }
    // The token the client just rotated, presented again within the grace period: its answer was lost in flight.
    // It gets the current token of the same chain — no fork — rather than ending the session.
    const latest = await deps.store.get(rotation(refresh.g));
    const [latestCurrent, latestPrevious] = latest?.value.split(' ') ?? [];
    if (config.refreshReuseGrace > 0 && latest && latestCurrent && refresh.j === latestPrevious && Date.now() - latest.at <= config.refreshReuseGrace * 1000) {
      return issueTokens(c, account, refresh.g, latestCurrent);
    }
    // Anything else is a copy of a used token: the grant ends for everyone holding it.
    await revoke(refresh.g);
    return oauthError(c, 400, 'invalid_grant', 'This refresh token was already used; the session is revoked. Sign in again.');
  });

  app.post('/revoke', async (c) => {
    const form = await readForm(c, RevokeRequest);
    if (!form.ok) return oauthError(c, 400, 'invalid_request', form.description);
    const token = (await openAs(sealer, 'refresh', form.value.token, Refresh)) ?? (await openAs(sealer, 'access', form.value.token, Access));
    if (token) await revoke(token.g);
    // RFC 7009 §2.2: the same answer whether or not the token was valid.
    return c.body(null, 200);
  });

  app.all('/agile/*', async (c) => {
    const denied = (description: string) => {
      c.header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${description}"`);
      return oauthError(c, 401, 'invalid_token', description);
    };
    const header = c.req.header('authorization') ?? '';
    const access = header.startsWith('Bearer ') ? await openAs(sealer, 'access', header.slice(7), Access) : null;
    if (!access) return denied('The access token is missing, invalid or expired.');
    if (await revoked(access.g)) return denied('The session was signed out.');

    const url = new URL(c.req.url);
    const path = url.pathname.slice(url.pathname.indexOf('/agile/') + '/agile/'.length);
    const forward = forwardedPath(c.req.method, path);
    if (forward === null) return oauthError(c, 404, 'invalid_request', `The relay does not forward ${c.req.method} /${path}.`);
    let target: URL;
    try {
      target = new URL(`${agileBase(access.d)}/dev/api/${forward}`);
    } catch {
      return denied('The access token names no valid Agile CRM account.');
    }
    if (path === 'search') for (const name of SEARCH_PARAMS) {
      const value = url.searchParams.get(name);
      if (value !== null) target.searchParams.set(name, value);
    }
    const headers = new Headers({ Authorization: `Basic ${btoa(`${access.e}:${access.k}`)}`, Accept: 'application/json' });
    const contentType = c.req.header('content-type');
    if (contentType) headers.set('Content-Type', contentType);
    let upstream: Response;
    try {
      upstream = await deps.fetch(target, {
        method: c.req.method,
        headers,
        body: c.req.method === 'GET' ? undefined : await c.req.arrayBuffer(),
        redirect: 'manual',
        signal: AbortSignal.timeout(config.upstreamTimeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return oauthError(c, timedOut ? 504 : 502, 'temporarily_unavailable', timedOut ? 'Agile CRM did not answer in time.' : 'Agile CRM is not reachable.');
    }
    if (upstream.status === 401) {
      // The API key was rotated or revoked in Agile CRM: this session can never work again.
      await upstream.body?.cancel();
      await revoke(access.g, KEY_REJECTED);
      return denied(KEY_REJECTED_WORDS);
    }
    const out = new Headers({ 'Cache-Control': 'no-store' });
    for (const name of ['content-type', 'retry-after']) {
      const value = upstream.headers.get(name);
      if (value) out.set(name, value);
    }
    return new Response(upstream.body, { status: upstream.status, headers: out });
  });

  return app;
}
