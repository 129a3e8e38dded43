/**
 * Bridge mode: the relay as the authorization server for real Agile CRM accounts, with the API key sealed in
 * opaque tokens and added only on the relay's side of the proxy. Runs over HTTP against the sandbox's REST API on
 * loopback, exactly as it would run against an account — once on the Node listener, once on workerd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayEnvFor } from '../../scripts/dev-stack';
import { BRIDGE_CLIENT_ID } from '../../src/relay/bridge';
import { createSealer } from '../../src/relay/seal';
import { FREE_FAILURES } from '../../src/relay/sign-in-limits';
import { startSandbox, type SandboxServer } from '../../src/sandbox/node';
import { chromiumRedirectUri, extensionOrigin, PINNED_EXTENSION_ID } from '../../src/shared/extension-id';
import { base64url, fromBase64url, s256 } from '../../src/shared/random';
import { RUNTIMES, settledLog, startRelayOn, type RunningRelay } from '../relay-runtime';

const ORIGIN = extensionOrigin(PINNED_EXTENSION_ID);
const REDIRECT = chromiumRedirectUri(PINNED_EXTENSION_ID);
const VERIFIER = 'k'.repeat(64);

describe.each(RUNTIMES)('bridge mode on %s', (runtime) => {
  let sandbox: SandboxServer;
  const relays: RunningRelay[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.close()));
    await sandbox.close();
  });

  /** A bridge relay in front of the sandbox; `extra` overrides its environment. */
  async function bridge(extra: Record<string, string> = {}) {
    const env: Record<string, string | undefined> = { ...relayEnvFor('bridge', sandbox.url), ...extra };
    const relay = await startRelayOn(runtime, env);
    relays.push(relay);
    const request = (path: string, init: RequestInit = {}) => fetch(`${relay.url}${path}`, { redirect: 'manual', ...init });
    // Token requests carry the public client id, as the extension's do.
    const form = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) => request(path, {
      method: 'POST', headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(path === '/token' ? { client_id: BRIDGE_CLIENT_ID, ...body } : body),
    });
    return { relay, env, request, form };
  }
  type Bridge = Awaited<ReturnType<typeof bridge>>;
  const user = () => sandbox.state.users[0]!;
  const apiCalls = () => sandbox.state.count('requests.api');

  async function signInPage(b: Bridge, params: Record<string, string> = {}) {
    const query = new URLSearchParams({
      response_type: 'code', client_id: BRIDGE_CLIENT_ID, redirect_uri: REDIRECT, state: 'st', code_challenge: await s256(VERIFIER), code_challenge_method: 'S256', ...params,
    });
    return b.request(`/authorize?${query}`);
  }
  async function submit(b: Bridge, fields: Record<string, string>, requestId?: string) {
    requestId ??= /name="request_id" value="([^"]+)"/.exec(await (await signInPage(b)).text())![1]!;
    return b.request('/authorize', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request_id: requestId, domain: sandbox.state.domain, email: user().email, api_key: user().apiKey, ...fields }),
    });
  }
  async function code(b: Bridge): Promise<URL> {
    const response = await submit(b, {});
    expect(response.status).toBe(302);
    return new URL(response.headers.get('location')!);
  }
  async function tokens(b: Bridge) {
    const issued = await b.form('/token', { grant_type: 'authorization_code', code: (await code(b)).searchParams.get('code')!, code_verifier: VERIFIER, redirect_uri: REDIRECT });
    expect(issued.status).toBe(200);
    return issued.json() as Promise<{ access_token: string; refresh_token: string; agile_api_base: string; agile_web_base: string; agile_user: string; expires_in: number }>;
  }
  const agile = (b: Bridge, path: string, token: string, init: RequestInit = {}) =>
    b.request(`/agile/${path}`, { ...init, headers: { Origin: ORIGIN, Authorization: `Bearer ${token}`, Accept: 'application/json', ...init.headers } });
  const lookupPath = () => `contacts/search/email/${encodeURIComponent(user().email)}`;

  describe('the sign-in page', () => {
    it('asks for domain, email and API key, and says where the key is', async () => {
      const page = await signInPage(await bridge(), { domain: 'acme' });
      expect(page.status).toBe(200);
      const text = await page.text();
      expect(text).toMatch(/id="domain"[^>]*value="acme"/);
      expect(text).toMatch(/id="api_key"/);
      expect(text).toMatch(/Developers &amp; API/);
    });

    it('a wrong key: the page says so with 200, and a second try with the right key succeeds', async () => {
      const b = await bridge();
      const wrong = await submit(b, { api_key: 'wrong-key' });
      expect(wrong.status).toBe(200);
      expect(await wrong.text()).toMatch(/rejected this email and API key/);
      const url = await code(b);
      expect(url.origin + url.pathname).toBe(REDIRECT);
      expect(url.searchParams.get('state')).toBe('st');
      expect(url.searchParams.get('iss')).toBe(b.relay.url);
      expect(url.searchParams.get('code')).toBeTruthy();
    });

    it('an unreachable Agile CRM is named as such', async () => {
      const response = await submit(await bridge({ AGILE_BASE_URL: 'http://127.0.0.1:9' }), {});
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/Could not reach 127\.0\.0\.1:9/);
    });

    it.each(['rep', 'rep@localhost', 'rep..x@acme.example', '"rep x"@acme.example', 'rep@acme.example@evil.example', 'rep@@acme.example'])(
      'refuses the email %j (not an address by shared/email.ts) with words, without asking Agile CRM', async (email) => {
        const before = apiCalls();
        const response = await submit(await bridge(), { email });
        expect(await response.text()).toMatch(/Enter the email address you sign in to Agile CRM with\./);
        expect(apiCalls()).toBe(before);
      });

    it.each(['evil.com#', 'a.b', '..', 'x@y', '%2e', 'аcme', 'ａｃｍｅ', '', 'a'.repeat(200), 'acme/../x', 'acme:80'])(
      'refuses the domain %j with words on the page', async (domain) => {
        const before = apiCalls();
        const response = await submit(await bridge(), { domain });
        expect(response.status).toBe(200);
        expect(await response.text()).toMatch(/role="alert"/);
        expect(apiCalls()).toBe(before);
      });

    it('wrong keys slow down that account from that client: free ones, then a growing wait, in words; then the right key works', { timeout: 30_000 }, async () => {
      const b = await bridge();
      const before = sandbox.state.count('api.unauthorized');
      for (let i = 0; i < FREE_FAILURES; i++) expect(await (await submit(b, { api_key: `guess-${i}` })).text()).toMatch(/rejected this email and API key/);
      const waiting = await submit(b, {});
      expect(await waiting.text()).toMatch(/Too many wrong keys for this account from your network\. Try again in a second\./);
      expect(sandbox.state.count('api.unauthorized') - before).toBe(FREE_FAILURES);
      // The wait is one second after the fifth wrong key: the right key then gets through.
      const deadline = Date.now() + 10_000;
      let response = await submit(b, {});
      while (response.status !== 302 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        response = await submit(b, {});
      }
      expect(response.status).toBe(302);
    });

    it('one check at a time per account and client: 10 tries while one is being checked are one call to Agile CRM', { timeout: 30_000 }, async () => {
      const b = await bridge();
      const requestId = /name="request_id" value="([^"]+)"/.exec(await (await signInPage(b)).text())![1]!;
      const before = apiCalls();
      // The first check is slow, so the other nine arrive while it runs, even on a busy machine.
      sandbox.state.faults.latency.api = 2_500;
      try {
        const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(b, { api_key: `parallel-${i}` }, requestId).then((response) => response.text())));
        expect(apiCalls() - before).toBe(1);
        expect(answers.filter((text) => /being checked already/.test(text))).toHaveLength(9);
      } finally {
        sandbox.state.faults.latency.api = 0;
      }
    });

    it('shows errors for a foreign client or redirect URI, and requires PKCE', async () => {
      const b = await bridge();
      expect(await (await signInPage(b, { client_id: 'other' })).text()).toMatch(/does not serve/);
      const foreign = await signInPage(b, { redirect_uri: 'https://evil.example/' });
      expect(foreign.status).toBe(200);
      expect(foreign.headers.get('location')).toBeNull();
      const noPkce = new URL((await signInPage(b, { code_challenge: '' })).headers.get('location')!);
      expect(noPkce.searchParams.get('error')).toBe('invalid_request');
    });
  });

  describe('tokens', () => {
    it('issues opaque tokens that name the relay’s proxy as the API base', async () => {
      const b = await bridge();
      const issued = await tokens(b);
      expect(issued).toMatchObject({ agile_api_base: `${b.relay.url}/agile`, agile_web_base: sandbox.url, agile_user: user().email });
      for (const token of [issued.access_token, issued.refresh_token]) {
        expect(token).not.toContain(user().apiKey);
        expect(new TextDecoder().decode(fromBase64url(token))).not.toContain(user().apiKey);
      }
    });

    it('a code works once, with the right verifier and redirect URI', async () => {
      const b = await bridge();
      const first = (await code(b)).searchParams.get('code')!;
      const exchange = (value: string, extra: Record<string, string> = {}) =>
        b.form('/token', { grant_type: 'authorization_code', code: value, code_verifier: VERIFIER, redirect_uri: REDIRECT, ...extra });
      expect(await (await exchange(first, { code_verifier: 'x'.repeat(43) })).json()).toMatchObject({ error: 'invalid_grant' });
      expect((await exchange(first)).status).toBe(200);
      expect(await (await exchange(first)).json()).toMatchObject({ error: 'invalid_grant' });
      const foreign = (await code(await bridge())).searchParams.get('code')!;
      expect(await (await exchange(foreign)).json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('exactly once: the same code sent 20 times at once → one success, 19 invalid_grant', async () => {
      const b = await bridge();
      const value = (await code(b)).searchParams.get('code')!;
      const answers = await Promise.all(Array.from({ length: 20 }, () =>
        b.form('/token', { grant_type: 'authorization_code', code: value, code_verifier: VERIFIER, redirect_uri: REDIRECT }).then(async (response) => ({ status: response.status, body: await response.json() }))));
      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
      expect(answers.filter((answer) => answer.status === 400 && answer.body.error === 'invalid_grant')).toHaveLength(19);
    });

    it('a replayed code revokes the session the first exchange created', async () => {
      const b = await bridge();
      const value = (await code(b)).searchParams.get('code')!;
      const body = { grant_type: 'authorization_code', code: value, code_verifier: VERIFIER, redirect_uri: REDIRECT };
      const issued = await (await b.form('/token', body)).json();
      await b.form('/token', body);
      expect((await agile(b, lookupPath(), issued.access_token)).status).toBe(401);
    });

    it('only the bridge’s own public client may redeem codes', async () => {
      const b = await bridge();
      const value = (await code(b)).searchParams.get('code')!;
      const other = await b.form('/token', { grant_type: 'authorization_code', code: value, code_verifier: VERIFIER, redirect_uri: REDIRECT, client_id: 'someone-else' });
      expect(other.status).toBe(401);
      expect(await other.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('refresh tokens rotate; with strict rotation a used one is refused and ends the session', async () => {
      const b = await bridge({ RELAY_REFRESH_REUSE_GRACE: '0' });
      const issued = await tokens(b);
      const rotated = await (await b.form('/token', { grant_type: 'refresh_token', refresh_token: issued.refresh_token })).json();
      expect(rotated.refresh_token).not.toBe(issued.refresh_token);
      expect(await (await b.form('/token', { grant_type: 'refresh_token', refresh_token: issued.refresh_token })).json()).toMatchObject({ error: 'invalid_grant' });
      expect(await (await b.form('/token', { grant_type: 'refresh_token', refresh_token: rotated.refresh_token })).json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('within the reuse grace period (default 30 s), a just-used refresh token gets the same chain, not a fork', async () => {
      const b = await bridge();
      const issued = await tokens(b);
      const refresh = (token: string) => b.form('/token', { grant_type: 'refresh_token', refresh_token: token }).then(async (response) => ({ status: response.status, body: await response.json() }));
      const first = await refresh(issued.refresh_token);
      // The first answer was "lost": the client presents the same token again.
      const retried = await refresh(issued.refresh_token);
      expect(retried.status).toBe(200);
      // Both answers hold the chain's one current token: whichever is used first rotates it, and the other,
      // presented later than the grace period allows, would then be a reuse.
      expect((await refresh(retried.body.refresh_token)).status).toBe(200);
      expect((await refresh(first.body.refresh_token)).status).toBe(200);
      const third = await refresh(issued.refresh_token);
      expect(third).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    it('tampered, expired and wrong-purpose tokens get 401 at the proxy', async () => {
      const b = await bridge({ RELAY_ACCESS_TOKEN_TTL: '1' });
      const issued = await tokens(b);
      const path = `contacts/search/email/${encodeURIComponent(sandbox.state.seed.demoKnownEmails[0]!)}`;
      expect((await agile(b, path, issued.access_token)).status).toBe(200);
      const bytes = fromBase64url(issued.access_token);
      bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 1;
      expect((await agile(b, path, base64url(bytes))).status).toBe(401);
      expect((await agile(b, path, issued.refresh_token)).status).toBe(401);
      expect((await agile(b, path, 'garbage')).status).toBe(401);
      const otherKey = createSealer(crypto.getRandomValues(new Uint8Array(32)));
      const forged = await otherKey.seal('access', { d: 'demo', e: user().email, k: user().apiKey, g: 'g', exp: Date.now() });
      expect((await agile(b, path, forged)).status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const expired = await agile(b, path, issued.access_token);
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
      expect(await (await b.form('/token', { grant_type: 'refresh_token', refresh_token: issued.access_token })).json()).toMatchObject({ error: 'invalid_grant' });
    });

    it('accepts tokens sealed under the previous key during a key rotation', async () => {
      const old = await bridge();
      const issued = await tokens(old);
      const rotated = await bridge({ RELAY_SEAL_KEY: base64url(crypto.getRandomValues(new Uint8Array(32))), RELAY_PREVIOUS_SEAL_KEYS: old.env.RELAY_SEAL_KEY! });
      expect((await agile(rotated, lookupPath(), issued.access_token)).status).toBe(204);
      expect((await agile(await bridge(), lookupPath(), issued.access_token)).status).toBe(401);
    });

    it('revocation ends the session: refresh refused, access token 401 on the next request', async () => {
      const b = await bridge();
      const issued = await tokens(b);
      expect((await b.form('/revoke', { token: issued.refresh_token, token_type_hint: 'refresh_token' })).status).toBe(200);
      expect((await b.form('/revoke', { token: 'not-a-token' })).status).toBe(200);
      expect(await (await b.form('/token', { grant_type: 'refresh_token', refresh_token: issued.refresh_token })).json()).toMatchObject({ error: 'invalid_grant' });
      expect((await agile(b, 'contacts/1', issued.access_token)).status).toBe(401);
    });
  });

  describe('the /agile proxy', () => {
    it('forwards the extension’s calls with Basic credentials and passes status and JSON through', async () => {
      const b = await bridge();
      const { access_token: token } = await tokens(b);
      const known = sandbox.state.seed.demoKnownEmails;
      const one = await agile(b, `contacts/search/email/${encodeURIComponent(known[4]!)}`, token);
      expect(one.status).toBe(200);
      expect(one.headers.get('cache-control')).toBe('no-store');
      expect(one.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect((await one.json()).properties).toBeDefined();
      expect((await agile(b, 'contacts/search/email/nobody%40nowhere.example', token)).status).toBe(204);
      const batch = await agile(b, 'contacts/search/email', token, {
        method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email_ids: JSON.stringify([known[0], 'x@nowhere.example']) }),
      });
      expect((await batch.json())[1]).toBeNull();
      const search = await agile(b, 'search?q=uptake&page_size=3&type=PERSON', token);
      expect((await search.json()).length).toBeLessThanOrEqual(3);
      const duplicate = await agile(b, 'contacts', token, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'PERSON', properties: [{ type: 'SYSTEM', name: 'first_name', value: 'X' }, { name: 'email', value: known[0] }] }),
      });
      expect(duplicate.status).toBe(400);
      expect(await duplicate.text()).toMatch(/duplicate contact/);
    });

    it.each([
      ['DELETE', 'contacts/5629585250009667'],
      ['GET', 'users'],
      ['GET', 'contacts/search/email/%2e%2e'],
      ['GET', 'contacts/search/email/..%2F..%2Fusers'],
      ['GET', 'contacts/1/../../users'],
      ['POST', 'contacts/search/email/a%40b.com'],
      ['GET', 'contacts/abc'],
      ['PUT', 'contacts/edit/lead-score'],
      ['GET', 'opportunity'],
      ['GET', 'contacts/search/email/a%40b%2F..%2F..%2Fusers'],
      ['GET', 'contacts/search/email/a%40b%5Cusers'],
      ['GET', 'contacts/search/email/a%40b.com%3Bjsessionid%3Dx'],
      ['GET', 'contacts/search/email/a%40b..%40c'],
    ])('refuses %s /agile/%s without calling Agile', async (method, path) => {
      const b = await bridge();
      const { access_token: token } = await tokens(b);
      const before = apiCalls();
      const response = await agile(b, path, token, { method });
      expect([401, 404]).toContain(response.status);
      expect(apiCalls()).toBe(before);
    });

    it('an API key rotated in Agile CRM ends the session', async () => {
      const b = await bridge();
      const issued = await tokens(b);
      const original = user().apiKey;
      user().apiKey = 'rotated-in-agile';
      try {
        const refused = await agile(b, lookupPath(), issued.access_token);
        expect(refused.status).toBe(401);
        expect(refused.headers.get('access-control-expose-headers')).toMatch(/WWW-Authenticate/);
        expect(refused.headers.get('www-authenticate')).toMatch(/no longer accepts the API key/);
        // Every later refresh of that session says why it ended, in the rep's words.
        const refresh = await (await b.form('/token', { grant_type: 'refresh_token', refresh_token: issued.refresh_token })).json();
        expect(refresh).toMatchObject({ error: 'invalid_grant' });
        expect(refresh.error_description).toMatch(/^Agile CRM no longer accepts the API key this session was signed in with .*Sign in again with your current REST API key\.$/);
      } finally {
        user().apiKey = original;
      }
    });

    it('passes Agile CRM’s Retry-After through and lets the extension read it (CORS)', async () => {
      const b = await bridge();
      const { access_token: token } = await tokens(b);
      sandbox.state.faults.queue.push({ scope: 'api', kind: 'status', status: 429, retryAfter: '120', times: 1 });
      const busy = await agile(b, lookupPath(), token);
      expect(busy.status).toBe(429);
      expect(busy.headers.get('retry-after')).toBe('120');
      expect(busy.headers.get('access-control-expose-headers')?.split(/,\s*/)).toEqual(['Retry-After', 'WWW-Authenticate']);
    });

    it('refuses foreign origins', async () => {
      const b = await bridge();
      const { access_token: token } = await tokens(b);
      const response = await b.request('/agile/contacts/1', { headers: { Origin: 'https://evil.example', Authorization: `Bearer ${token}` } });
      expect(response.status).toBe(403);
    });

    it('serves a GET without Origin (an extension’s request to a host it has permission for), never a write', async () => {
      const b = await bridge();
      const { access_token: token } = await tokens(b);
      const id = sandbox.state.contactByEmail(sandbox.state.seed.demoKnownEmails[0]!)!.id;
      const notes = await b.request(`/agile/contacts/${id}/notes`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
      expect(notes.status).toBe(200);
      expect(notes.headers.get('access-control-allow-origin')).toBeNull();
      expect((await b.request(`/agile/contacts/${id}/notes`)).status).toBe(401);
      const write = await b.request('/agile/notes', {
        method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ subject: 'x', contact_ids: [id] }),
      });
      expect(write.status).toBe(403);
    });

    it('never logs an API key, a token, a code or an email', async () => {
      const b = await bridge();
      const issued = await tokens(b);
      await agile(b, lookupPath(), issued.access_token);
      const log = JSON.stringify(await settledLog(b.relay, 4));
      expect(b.relay.log.map((entry) => entry.path)).toEqual(['/authorize', '/authorize', '/token', '/agile/contacts/search/email/<email>']);
      for (const secret of [user().apiKey, issued.access_token, issued.refresh_token, user().email]) expect(log).not.toContain(secret);
      expect(log).not.toMatch(/code=|\?/);
    });
  });
});
