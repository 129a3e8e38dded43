/**
 * Bridge mode: Agile CRM has no OAuth server for third-party apps, so the relay plays one for it. The rep signs
 * in on the relay's page with domain, email and REST API key; the key is checked against the account, sealed
 * into opaque tokens (see seal.ts) and used only here, to add Basic credentials to the calls the extension makes
 * through `/agile/...`. The key never reaches the browser.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import { AgileDomainError, fillDomain, parseAgileDomain } from '../shared/agile-domain';
import { randomToken, s256 } from '../shared/random';
import type { BridgeMode, RelayConfig } from './config';
import { readForm } from './middleware/form-body';
import { oauthError } from './middleware/oauth-error';
import { authorizeErrorPage, bridgeSignInPage } from './pages';
import { readAuthorizeRequest, readTokenRequest, RevokeRequest, S256_CHALLENGE } from './requests';
import { createSealer, type Sealer } from './seal';
import type { RelayStore } from './store';

export interface BridgeDeps {
  fetch: typeof fetch;
  store: RelayStore;
  /** The relay's issuer URL for this request (RFC 9207 `iss`, and the base of `agile_api_base`). */
  issuer(c: Context): string;
}

/** The public client id the bridge serves; the extension reads it from the relay's metadata. */
export const BRIDGE_CLIENT_ID = 'agile-crm-extension';
const CODE_TTL = 60;
const REQUEST_TTL = 15 * 60;
const FAILED_SIGN_INS_ALLOWED = 10;

const now = () => Math.floor(Date.now() / 1000);

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

type CredentialCheck = { ok: true } | { ok: false; problem: string };

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
      problem: error instanceof Error && error.name === 'TimeoutError'
        ? `Agile CRM (${host}) did not answer in time. Try again in a moment.`
        : `Could not reach ${host}. Check the domain, or try again if your connection dropped.`,
    };
  }
  if (response.status === 200 || response.status === 204) return { ok: true };
  if (response.status === 401 || response.status === 403) {
    return { ok: false, problem: 'Agile CRM rejected this email and API key. Check both and try again.' };
  }
  if (response.status === 404 || (response.status >= 300 && response.status < 400)) {
    return { ok: false, problem: `There is no Agile CRM account at ${host}. Check the domain.` };
  }
  return { ok: false, problem: `Agile CRM answered with an error (${response.status}). Try again in a moment.` };
}

/** The extension's Agile calls the bridge forwards: method + path under /dev/api, nothing else. */
const FORWARDED: ReadonlyArray<readonly [string, RegExp]> = [
  ['GET', /^contacts\/search\/email\/[^/]*(?:@|%40)[^/]*$/i],
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
const SEARCH_PARAMS = ['q', 'page_size', 'type'];

export function bridgeRoutes(config: RelayConfig, mode: BridgeMode, deps: BridgeDeps): Hono {
  const app = new Hono();
  const sealer = createSealer(mode.sealKey, mode.previousSealKeys);
  const agileBase = (domain: string) => fillDomain(mode.agileBaseUrl, domain);

  const issueTokens = async (c: Context, account: AccountPayload, grant: string) => {
    const expires = now();
    const access = await sealer.seal('access', { ...account, g: grant, exp: expires + mode.accessTokenTtl });
    const refresh = await sealer.seal('refresh', { ...account, g: grant, j: randomToken(16), exp: expires + mode.refreshTokenTtl });
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
    const request = readAuthorizeRequest(c);
    if (!request || request.client_id !== BRIDGE_CLIENT_ID) {
      return c.html(authorizeErrorPage('This sign-in link names an application the relay does not serve.'));
    }
    if (!config.allowedRedirectUris.includes(request.redirect_uri)) {
      return c.html(authorizeErrorPage('The redirect address is not one the relay allows.'));
    }
    const back = new URL(request.redirect_uri);
    const fail = (error: string, description: string) => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      if (request.state !== undefined) back.searchParams.set('state', request.state);
      back.searchParams.set('iss', deps.issuer(c));
      return c.redirect(back.href, 302);
    };
    if (request.response_type !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.');
    if (request.code_challenge_method !== 'S256' || !S256_CHALLENGE.test(request.code_challenge ?? '')) {
      return fail('invalid_request', 'PKCE with code_challenge_method=S256 is required.');
    }
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
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return again('Enter the email address you sign in to Agile CRM with.', domain);
    if (!apiKey.trim()) return again('Enter your REST API key.', domain);
    const failures = `signin-failures:${domain}:${email}`;
    const locked = `signin-locked:${domain}:${email}`;
    if ((await deps.store.recordedAt(locked)) !== null) return again('Too many failed sign-ins for this account. Wait ten minutes and try again.', domain);
    const check = await checkAgileCredentials(deps.fetch, `${agileBase(domain)}/dev/api`, email, apiKey.trim(), config.upstreamTimeoutMs);
    if (!check.ok) {
      // Guessing API keys through the relay stops after a few tries per account.
      if ((await deps.store.increment(failures, 600)) >= FAILED_SIGN_INS_ALLOWED) await deps.store.claim(locked, 600);
      return again(check.problem, domain);
    }
    const code = await sealer.seal('code', {
      d: domain, e: email, k: apiKey.trim(), ru: pending.ru, cc: pending.cc, j: randomToken(16), exp: now() + CODE_TTL,
    });
    const back = new URL(pending.ru);
    back.searchParams.set('code', code);
    if (pending.st !== undefined) back.searchParams.set('state', pending.st);
    back.searchParams.set('iss', deps.issuer(c));
    return c.redirect(back.href, 302);
  });

  app.post('/token', async (c) => {
    const request = await readTokenRequest(c, config.allowedRedirectUris);
    if (request instanceof Response) return request;
    if (request.grant_type === 'authorization_code') {
      const code = await openAs(sealer, 'code', request.code, Code);
      if (!code || code.ru !== request.redirect_uri) return oauthError(c, 400, 'invalid_grant', 'The authorization code is invalid or expired.');
      if ((await s256(request.code_verifier)) !== code.cc) {
        return oauthError(c, 400, 'invalid_grant', 'code_verifier does not match the code_challenge.');
      }
      // Exactly once: the code's jti is claimed before anything is issued. A replay also revokes the grant
      // the first redemption created (RFC 6749 §4.1.2), since the grant id is the code's jti.
      if (!(await deps.store.claim(`code:${code.j}`, CODE_TTL * 2))) {
        await deps.store.claim(`revoked:${code.j}`, mode.refreshTokenTtl);
        return oauthError(c, 400, 'invalid_grant', 'The authorization code was already used.');
      }
      return issueTokens(c, { d: code.d, e: code.e, k: code.k }, code.j);
    }
    const refresh = await openAs(sealer, 'refresh', request.refresh_token, Refresh);
    if (!refresh || (await deps.store.recordedAt(`revoked:${refresh.g}`)) !== null) {
      return oauthError(c, 400, 'invalid_grant', 'The session has ended. Sign in again.');
    }
    // Rotation: each refresh token works once; a second use means it was copied, so the grant ends — unless
    // it comes within the configured grace period, the mark of a client retrying after a lost response.
    if (!(await deps.store.claim(`used:${refresh.j}`, Math.max(refresh.exp - now(), 1)))) {
      const usedAt = (await deps.store.recordedAt(`used:${refresh.j}`)) ?? 0;
      if (mode.refreshReuseGrace > 0 && Date.now() - usedAt <= mode.refreshReuseGrace * 1000) return issueTokens(c, { d: refresh.d, e: refresh.e, k: refresh.k }, refresh.g);
      await deps.store.claim(`revoked:${refresh.g}`, mode.refreshTokenTtl);
      return oauthError(c, 400, 'invalid_grant', 'This refresh token was already used; the session is revoked. Sign in again.');
    }
    return issueTokens(c, { d: refresh.d, e: refresh.e, k: refresh.k }, refresh.g);
  });

  app.post('/revoke', async (c) => {
    const form = await readForm(c, RevokeRequest);
    if (!form.ok) return oauthError(c, 400, 'invalid_request', form.description);
    const token = (await openAs(sealer, 'refresh', form.value.token, Refresh)) ?? (await openAs(sealer, 'access', form.value.token, Access));
    if (token) await deps.store.claim(`revoked:${token.g}`, mode.refreshTokenTtl);
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
    if ((await deps.store.recordedAt(`revoked:${access.g}`)) !== null) return denied('The session was signed out.');

    const url = new URL(c.req.url);
    const path = url.pathname.slice(url.pathname.indexOf('/agile/') + '/agile/'.length);
    if (!FORWARDED.some(([method, pattern]) => method === c.req.method && pattern.test(path))) {
      return oauthError(c, 404, 'invalid_request', `The relay does not forward ${c.req.method} /${path}.`);
    }
    let target: URL;
    try {
      target = new URL(`${agileBase(access.d)}/dev/api/${path}`);
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
      await deps.store.claim(`revoked:${access.g}`, mode.refreshTokenTtl);
      return denied('Agile CRM no longer accepts the API key this session was signed in with.');
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
