/**
 * OAuth mode against standard providers, over real loopback HTTP against the sandbox switched to behave like
 * them: discovery from OAUTH_ISSUER (RFC 8414, then OpenID Connect Discovery), OpenID Connect ID tokens checked by
 * the relay (and never passed on), and exactly-once refresh. Once on the Node listener, once on workerd.
 */
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayEnvFor } from '../../scripts/dev-stack';
import { createRelay } from '../../src/relay/app';
import { loadRelayConfig, RelayConfigError, type OAuthMode, type RelayEnv } from '../../src/relay/config';
import { startRelay } from '../../src/relay/node';
import { resolveProvider } from '../../src/relay/provider';
import { memoryStore, type RelayStore } from '../../src/relay/store';
import { DEV_CLIENT, startSandbox, type SandboxServer } from '../../src/sandbox/node';
import type { SandboxOptions } from '../../src/sandbox/state';
import { chromiumRedirectUri, extensionOrigin, PINNED_EXTENSION_ID } from '../../src/shared/extension-id';
import { listen } from '../../src/shared/node-listen';
import { s256 } from '../../src/shared/random';
import { RUNTIMES, settledLog, startRelayOn, type RunningRelay } from '../relay-runtime';

const ORIGIN = extensionOrigin(PINNED_EXTENSION_ID);
const REDIRECT = chromiumRedirectUri(PINNED_EXTENSION_ID);
const VERIFIER = 'p'.repeat(60);

/** A relay configured by issuer alone (plus where Agile CRM's API is), as the README shows. */
const byIssuer = (sandbox: SandboxServer, extra: RelayEnv = {}): RelayEnv => ({
  RELAY_MODE: 'oauth', OAUTH_CLIENT_ID: DEV_CLIENT.clientId, OAUTH_CLIENT_SECRET: DEV_CLIENT.clientSecret,
  OAUTH_ISSUER: sandbox.url, AGILE_API_BASE: `${sandbox.url}/dev/api`, ...extra,
});

interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  agile_user?: string;
  agile_web_base: string;
  token_type: string;
  scope?: string;
  expires_in?: number;
}

function client(relay: RunningRelay | { url: string }, sandbox: SandboxServer) {
  const post = (path: string, body: Record<string, string>) => fetch(`${relay.url}${path}`, {
    method: 'POST', headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body),
  });
  const metadata = async () => (await fetch(`${relay.url}/.well-known/oauth-authorization-server`)).json() as Promise<Record<string, unknown>>;
  /** The browser's part: the relay's /authorize, the provider's consent page, Allow; returns the redirect's parameters. */
  async function authorize(params: Record<string, string> = {}): Promise<URLSearchParams> {
    const meta = await metadata();
    const query = new URLSearchParams({
      ...(meta.authorization_request_parameters as Record<string, string> | undefined),
      response_type: 'code', client_id: DEV_CLIENT.clientId, redirect_uri: REDIRECT, state: 'st', code_challenge: await s256(VERIFIER), code_challenge_method: 'S256',
      ...(meta.scopes_supported ? { scope: (meta.scopes_supported as string[]).join(' ') } : {}),
      ...params,
    });
    const toProvider = await fetch(`${relay.url}/authorize?${query}`, { redirect: 'manual' });
    const consent = toProvider.headers.get('location')!;
    expect(consent.startsWith(`${sandbox.url}/oauth/authorize?`)).toBe(true);
    const page = await fetch(consent, { redirect: 'manual' });
    if (page.status === 302) return new URL(page.headers.get('location')!).searchParams;
    const requestId = /name="request_id" value="([^"]+)"/.exec(await page.text())![1]!;
    const user = sandbox.state.users[0]!;
    const back = await fetch(`${sandbox.url}/oauth/authorize`, {
      method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request_id: requestId, email: user.email, password: user.password, decision: 'allow' }),
    });
    return new URL(back.headers.get('location')!).searchParams;
  }
  const exchange = async (code: string) => post('/token', { grant_type: 'authorization_code', code, code_verifier: VERIFIER, redirect_uri: REDIRECT });
  const signIn = async (): Promise<Tokens> => {
    const response = await exchange((await authorize()).get('code')!);
    expect(response.status).toBe(200);
    return response.json() as Promise<Tokens>;
  };
  const refresh = async (token: string) => {
    const response = await post('/token', { grant_type: 'refresh_token', refresh_token: token });
    return { status: response.status, body: (await response.json()) as Tokens & { error?: string; error_description?: string } };
  };
  return { post, metadata, authorize, exchange, signIn, refresh };
}

describe.each(RUNTIMES)('OAuth mode configured by issuer, on %s', (runtime) => {
  const sandboxes: SandboxServer[] = [];
  const relays: RunningRelay[] = [];
  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.close()));
    await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
  });
  async function world(options: SandboxOptions, extra: RelayEnv = {}) {
    const sandbox = await startSandbox(options);
    sandboxes.push(sandbox);
    const relay = await startRelayOn(runtime, byIssuer(sandbox, extra));
    relays.push(relay);
    return { sandbox, relay, ...client(relay, sandbox) };
  }

  describe('an OpenID Connect provider (discovery, ES256 ID tokens, refresh tokens only for offline_access)', () => {
    let oidc: Awaited<ReturnType<typeof world>>;
    beforeAll(async () => {
      oidc = await world({ discovery: 'openid', refreshTokens: 'offline_access', sendIssuer: true, idTokenAlg: 'ES256' }, {
        OAUTH_SCOPE: 'openid email offline_access', OAUTH_PROMPT: 'consent',
      });
    });

    it('publishes the provider’s issuer, its iss support and the request the extension must make', async () => {
      expect(await oidc.metadata()).toMatchObject({
        issuer: oidc.relay.url, upstream_issuer: oidc.sandbox.url, authorization_response_iss_parameter_supported: true,
        scopes_supported: ['openid', 'email', 'offline_access'], authorization_request_parameters: { prompt: 'consent' },
        revocation_endpoint: `${oidc.relay.url}/revoke`,
      });
    });

    it('forwards scope and prompt to the discovered authorization endpoint; drops parameters nobody configured', async () => {
      const query = new URLSearchParams({
        response_type: 'code', client_id: DEV_CLIENT.clientId, redirect_uri: REDIRECT, state: 's', code_challenge: await s256(VERIFIER),
        code_challenge_method: 'S256', scope: 'openid email offline_access', prompt: 'consent', acr_values: 'x', domain: 'acme',
      });
      const location = new URL((await fetch(`${oidc.relay.url}/authorize?${query}`, { redirect: 'manual' })).headers.get('location')!);
      expect(location.origin + location.pathname).toBe(`${oidc.sandbox.url}/oauth/authorize`);
      expect(location.searchParams.get('scope')).toBe('openid email offline_access');
      expect(location.searchParams.get('prompt')).toBe('consent');
      expect(location.searchParams.has('acr_values')).toBe(false);
      expect(location.searchParams.has('domain')).toBe(false);
    });

    it('checks the ID token, says who signed in from its claims, and does not pass it on', async () => {
      const tokens = await oidc.signIn();
      expect(tokens.id_token).toBeUndefined();
      expect(tokens).toMatchObject({ agile_user: oidc.sandbox.state.users[0]!.email, token_type: 'Bearer', agile_web_base: oidc.sandbox.url });
      expect(tokens.refresh_token).toBeTruthy();
      // Refresh answers carry a new ID token, checked the same way.
      const refreshed = await oidc.refresh(tokens.refresh_token!);
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.id_token).toBeUndefined();
      expect(refreshed.body.agile_user).toBe(oidc.sandbox.state.users[0]!.email);
    });

    it.each([
      ['signature', /signature does not verify with the provider's keys/],
      ['audience', /issued to another client .*not agile-crm-extension-dev \(OAUTH_CLIENT_ID\)/],
      ['issuer', /names the issuer https:\/\/impostor\.example, not http:\/\/127\.0\.0\.1:\d+ \(OAUTH_ISSUER\)/],
      ['expired', /expired or not yet valid/],
    ] as const)('an ID token with a forged %s is refused, and what the provider issued is revoked there', async (forgery, words) => {
      const code = (await oidc.authorize()).get('code')!;
      const revokedBefore = oidc.sandbox.state.count('revoke');
      const grantsBefore = oidc.sandbox.state.grantCount();
      oidc.sandbox.state.faults.forgeIdToken = forgery;
      const response = await oidc.exchange(code);
      expect(response.status).toBe(502);
      const body = await response.json();
      expect(body).toMatchObject({ error: 'server_error' });
      expect(body.error_description).toMatch(words);
      expect(body.error_description).toMatch(/The tokens it issued were revoked\.$/);
      expect(JSON.stringify(body)).not.toMatch(/access_token|refresh_token/);
      expect(oidc.sandbox.state.count('revoke')).toBe(revokedBefore + 1);
      expect(oidc.sandbox.state.grantCount()).toEqual({ live: grantsBefore.live, revoked: grantsBefore.revoked + 1 });
    });

    it('without prompt=consent the provider issues no refresh token, and says so in its scope', async () => {
      const tokens = (await (await oidc.exchange((await oidc.authorize({ prompt: 'login' })).get('code')!)).json()) as Tokens;
      expect(tokens.refresh_token).toBeUndefined();
      expect(tokens.scope).toBe('openid email');
    });

    it('logs each refused answer with its error code, and never a token', async () => {
      await oidc.refresh('not-a-refresh-token');
      const log = await settledLog(oidc.relay, 1);
      expect(log.some((entry) => entry.path === '/token' && entry.status === 400 && entry.error === 'invalid_grant')).toBe(true);
      expect(log.some((entry) => entry.path === '/token' && entry.status === 502 && entry.error === 'server_error')).toBe(true);
      expect(JSON.stringify(log)).not.toMatch(/not-a-refresh-token|eyJ/);
    });
  });

  it('ID tokens MACed with the client secret (HS256, OpenID Connect Core §10.1): checked with it; a forged one refused and revoked', async () => {
    const mac = await world({ discovery: 'openid', idTokenAlg: 'HS256' }, { OAUTH_SCOPE: 'openid email' });
    expect(await mac.signIn()).toMatchObject({ agile_user: mac.sandbox.state.users[0]!.email });
    const code = (await mac.authorize()).get('code')!;
    const revokedBefore = mac.sandbox.state.count('revoke');
    mac.sandbox.state.faults.forgeIdToken = 'signature';
    const response = await mac.exchange(code);
    expect(response.status).toBe(502);
    expect((await response.json()).error_description).toMatch(/HS256 signature does not verify with the client secret \(OAUTH_CLIENT_SECRET\)\. The tokens it issued were revoked\.$/);
    expect(mac.sandbox.state.count('revoke')).toBe(revokedBefore + 1);
  });

  it('an RFC 8414 provider (no OpenID Connect): discovered from its oauth-authorization-server document', async () => {
    const rfc = await world({ discovery: 'oauth' });
    expect(await rfc.metadata()).toMatchObject({ upstream_issuer: rfc.sandbox.url, authorization_response_iss_parameter_supported: false });
    expect(await rfc.signIn()).toMatchObject({ token_type: 'Bearer', agile_web_base: rfc.sandbox.url });
  });

  describe('exactly-once refresh (RELAY_REFRESH_REUSE_GRACE)', () => {
    let strict: Awaited<ReturnType<typeof world>>;
    beforeAll(async () => {
      // The provider revokes the whole grant when a rotated refresh token comes back (its default).
      strict = await world({ discovery: 'oauth' }, { RELAY_REFRESH_REUSE_GRACE: '2' });
    });
    const upstream = () => strict.sandbox.state.count('token.refresh_token');

    it('the same refresh token twice → one call to the provider, the same answer twice, no reuse seen', async () => {
      const { refresh_token: token } = await strict.signIn();
      const before = upstream();
      const first = await strict.refresh(token!);
      const again = await strict.refresh(token!);
      expect(first.status).toBe(200);
      // The same answer, its expires_in counted down by any whole second between the two.
      expect({ ...again, body: { ...again.body, expires_in: first.body.expires_in } }).toEqual(first);
      expect(again.body.expires_in).toBeGreaterThanOrEqual(first.body.expires_in! - 5);
      expect(upstream() - before).toBe(1);
      expect(strict.sandbox.state.count('token.refresh_reused')).toBe(0);
      // The chain goes on from the answer both got.
      expect((await strict.refresh(first.body.refresh_token!)).status).toBe(200);
    });

    it('concurrent duplicates join the one call', async () => {
      const { refresh_token: token } = await strict.signIn();
      const before = upstream();
      strict.sandbox.state.faults.latency.token = 200;
      try {
        const answers = await Promise.all(Array.from({ length: 12 }, () => strict.refresh(token!)));
        expect(new Set(answers.map((answer) => answer.body.access_token)).size).toBe(1);
        expect(answers.every((answer) => answer.status === 200)).toBe(true);
      } finally {
        strict.sandbox.state.faults.latency.token = 0;
      }
      expect(upstream() - before).toBe(1);
    });

    it('after the grace period the provider sees the token again (and, strict, ends the grant)', async () => {
      const { refresh_token: token } = await strict.signIn();
      const before = upstream();
      expect((await strict.refresh(token!)).status).toBe(200);
      const started = Date.now();
      let late = await strict.refresh(token!);
      // Polls until the kept answer is gone; the grace is 2 s.
      while (late.status === 200 && Date.now() - started < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        late = await strict.refresh(token!);
      }
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
      expect(late).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(upstream() - before).toBe(2);
    });

    it('a refusal is kept too: the provider does not see a refused token twice within the grace', async () => {
      const before = upstream();
      const first = await strict.refresh('never-issued');
      const again = await strict.refresh('never-issued');
      expect(first).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(again).toEqual(first);
      expect(upstream() - before).toBe(1);
    });

    it('a failure without the provider’s word is not kept: the next try calls again', async () => {
      const { refresh_token: token } = await strict.signIn();
      strict.sandbox.state.faults.queue.push({ scope: 'token', kind: 'status', status: 503, times: 1 });
      const failed = await strict.refresh(token!);
      expect(failed.status).toBe(502);
      const retried = await strict.refresh(token!);
      expect(retried.status).toBe(200);
    });

    it('a provider that does not rotate: every refresh reaches it and brings a new access token, nothing is kept', async () => {
      // Kept, the answer would give a refresh soon after another the same access token — the one that just failed.
      const steady = await world({ discovery: 'oauth', rotateRefreshTokens: false }, { RELAY_REFRESH_REUSE_GRACE: '30' });
      const { refresh_token: token } = await steady.signIn();
      const before = steady.sandbox.state.count('token.refresh_token');
      const first = await steady.refresh(token!);
      const second = await steady.refresh(token!);
      expect(first).toMatchObject({ status: 200, body: { token_type: 'Bearer' } });
      expect(first.body.refresh_token).toBeUndefined();
      expect(second.status).toBe(200);
      expect(second.body.access_token).not.toBe(first.body.access_token);
      expect(steady.sandbox.state.count('token.refresh_token') - before).toBe(2);
    });

    it('with RELAY_REFRESH_REUSE_GRACE=0, nothing is kept: strict rotation end to end', async () => {
      const zero = await world({ discovery: 'oauth' }, { RELAY_REFRESH_REUSE_GRACE: '0' });
      const { refresh_token: token } = await zero.signIn();
      expect((await zero.refresh(token!)).status).toBe(200);
      expect(await zero.refresh(token!)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(zero.sandbox.state.count('token.refresh_reused')).toBe(1);
    });
  });

  it('a provider whose metadata cannot be read: the relay says why, naming OAUTH_ISSUER', async () => {
    const sandbox = await startSandbox();
    sandboxes.push(sandbox);
    if (runtime === 'node') {
      await expect(startRelayOn(runtime, byIssuer(sandbox))).rejects.toThrow(/OAUTH_ISSUER http:\/\/127\.0\.0\.1:\d+: the provider's metadata could not be read \(.*oauth-authorization-server: HTTP 404; .*openid-configuration: HTTP 404\)/);
    } else {
      const relay = await startRelayOn(runtime, byIssuer(sandbox));
      relays.push(relay);
      // A Worker has no start-up hook: each request answers 503 until the provider can be read.
      const response = await fetch(`${relay.url}/.well-known/oauth-authorization-server`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'server_error' });
    }
  });
});

describe('discovery problems at start-up (Node)', () => {
  let sandbox: SandboxServer;
  let impostor: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    sandbox = await startSandbox({ discovery: 'oauth' });
    const app = new Hono();
    app.get('/.well-known/oauth-authorization-server', (c) => c.json({
      issuer: 'https://login.elsewhere.example', authorization_endpoint: 'https://login.elsewhere.example/authorize', token_endpoint: 'https://login.elsewhere.example/token',
    }));
    app.get('/.well-known/openid-configuration', (c) => c.json({
      issuer: new URL(c.req.url).origin, authorization_endpoint: 'http://plain.example/authorize', token_endpoint: `${new URL(c.req.url).origin}/token`,
      code_challenge_methods_supported: ['plain'], token_endpoint_auth_methods_supported: ['private_key_jwt'],
    }));
    impostor = await listen(app.fetch);
  });
  afterAll(async () => {
    await impostor.close();
    await sandbox.close();
  });

  it('an issuer that is not the one the metadata names: the fix is the issuer the provider states', async () => {
    await expect(startRelay(byIssuer(sandbox, { OAUTH_ISSUER: impostor.url }), { port: 0 })).rejects.toThrow(
      `OAUTH_ISSUER is ${impostor.url}, but the provider's metadata at ${impostor.url}/.well-known/oauth-authorization-server names its issuer https://login.elsewhere.example: set OAUTH_ISSUER=https://login.elsewhere.example exactly.`,
    );
  });

  it('everything wrong in the metadata and in the variables, in one list', async () => {
    const mode = loadRelayConfig(byIssuer(sandbox, { OAUTH_ISSUER: impostor.url })).mode as OAuthMode;
    // The RFC 8414 document is the impostor's; the OpenID one is tried when the first is missing.
    const failing: typeof fetch = (input, init) => (String(input).includes('oauth-authorization-server') ? Promise.resolve(new Response('', { status: 404 })) : fetch(input, init));
    const { problems } = await resolveProvider({ ...mode, scope: ['openid'] }, { fetch: failing, timeoutMs: 2_000 });
    expect(problems).toEqual([
      `The provider's metadata gives authorization_endpoint http://plain.example/authorize, which is not an https URL: set OAUTH_AUTHORIZE_URL.`,
      `The provider's metadata (OAUTH_ISSUER ${impostor.url}) has no jwks_uri: set OAUTH_JWKS_URI.`,
      "The provider's metadata lists PKCE methods plain but not S256, which the extension always uses.",
      'The provider takes client authentication by private_key_jwt; the relay can use client_secret_basic or client_secret_post.',
    ]);
    try {
      await startRelay(byIssuer(sandbox, { OAUTH_ISSUER: 'http://127.0.0.1:9', RELAY_ALLOWED_REDIRECT_URIS: REDIRECT.slice(0, -1) }), { port: 0 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RelayConfigError);
      const found = (error as RelayConfigError).problems;
      expect(found).toHaveLength(2);
      expect(found[0]).toMatch(/missing the trailing slash/);
      expect(found[1]).toMatch(/^OAUTH_ISSUER http:\/\/127\.0\.0\.1:9: the provider's metadata could not be read/);
    }
  });

  it('an issuer the configuration refuses is not asked anything: one problem, not two', async () => {
    const asked: string[] = [];
    const recording: typeof fetch = (input, init) => {
      asked.push(String(input));
      return fetch(input, init);
    };
    await expect(startRelay(byIssuer(sandbox, { OAUTH_ISSUER: 'http://login.example.com' }), { port: 0, fetch: recording }))
      .rejects.toThrow(/^The relay cannot start:\n  - OAUTH_ISSUER must be an https URL \(http is allowed only on loopback\): http:\/\/login\.example\.com$/);
    expect(asked).toEqual([]);
  });

  it.each([
    ['RFC 8414 §3.1, inserted', (path: string) => `/.well-known/oauth-authorization-server${path}`],
    ['OpenID Connect Discovery, appended', (path: string) => `${path}/.well-known/openid-configuration`],
    ['RFC 8414 §5, openid-configuration inserted', (path: string) => `/.well-known/openid-configuration${path}`],
  ])('an issuer with a path (a tenant, a realm) is discovered where it publishes: %s', async (_, where) => {
    const path = '/realms/acme';
    const app = new Hono();
    app.get(where(path), (c) => {
      const issuer = `${new URL(c.req.url).origin}${path}`;
      return c.json({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, revocation_endpoint: `${issuer}/revoke`, jwks_uri: `${issuer}/certs` });
    });
    const tenant = await listen(app.fetch);
    try {
      const mode = loadRelayConfig(byIssuer(sandbox, { OAUTH_ISSUER: `${tenant.url}${path}` })).mode as OAuthMode;
      const { provider, problems } = await resolveProvider({ ...mode, scope: ['openid'] }, { fetch, timeoutMs: 2_000 });
      expect(problems).toEqual([]);
      expect(provider).toMatchObject({ issuer: `${tenant.url}${path}`, tokenEndpoint: `${tenant.url}${path}/token`, jwksUri: `${tenant.url}${path}/certs` });
    } finally {
      await tenant.close();
    }
  });

  it('explicit endpoint variables override what the provider publishes', async () => {
    const relay = await startRelay(byIssuer(sandbox, { OAUTH_AUTHORIZE_URL: `${sandbox.url}/oauth/authorize?tenant=a` }), { port: 0, host: '127.0.0.2' });
    try {
      const query = new URLSearchParams({ response_type: 'code', client_id: DEV_CLIENT.clientId, redirect_uri: REDIRECT, code_challenge: await s256(VERIFIER), code_challenge_method: 'S256' });
      const location = new URL((await fetch(`${relay.url}/authorize?${query}`, { redirect: 'manual' })).headers.get('location')!);
      expect(location.searchParams.get('tenant')).toBe('a');
    } finally {
      await relay.close();
    }
  });
});

describe('the refresh-answer cache across relay instances (one store)', () => {
  let sandbox: SandboxServer;
  beforeAll(async () => {
    sandbox = await startSandbox({ discovery: 'oauth' });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  /** A store that remembers every value written, to show that none of it is usable alone. */
  function recording(store: RelayStore): { store: RelayStore; written: string[] } {
    const written: string[] = [];
    return {
      written,
      store: {
        ...store,
        compareAndSet: (key, expected, next, ttl) => {
          written.push(key, next);
          return store.compareAndSet(key, expected, next, ttl);
        },
      },
    };
  }

  it('two relays, one store: duplicates sent to both reach the provider once; the store holds nothing usable alone', async () => {
    const shared = recording(memoryStore());
    const env = byIssuer(sandbox);
    const config = loadRelayConfig(env);
    const { provider } = await resolveProvider(config.mode as OAuthMode, { fetch, timeoutMs: 5_000 });
    const apps = [createRelay(config, { store: shared.store, provider: provider! }), createRelay(config, { store: shared.store, provider: provider! })];
    const served = await Promise.all(apps.map((app) => listen(app.fetch, { host: '127.0.0.2' })));
    try {
      const [one, two] = served.map((relay) => client(relay, sandbox));
      const { refresh_token: token, access_token: firstAccess } = await one!.signIn();
      const before = sandbox.state.count('token.refresh_token');
      sandbox.state.faults.latency.token = 150;
      const answers = await Promise.all([one!.refresh(token!), two!.refresh(token!), one!.refresh(token!), two!.refresh(token!)]);
      sandbox.state.faults.latency.token = 0;
      expect(sandbox.state.count('token.refresh_token') - before).toBe(1);
      expect(new Set(answers.map((answer) => answer.body.refresh_token)).size).toBe(1);
      const stored = shared.written.join('\n');
      for (const secret of [token!, firstAccess, answers[0]!.body.access_token, answers[0]!.body.refresh_token!]) expect(stored).not.toContain(secret);
    } finally {
      await Promise.all(served.map((relay) => relay.close()));
    }
  });

  it('relayEnvFor stays an Agile-style provider (no issuer): nothing to discover', () => {
    expect(loadRelayConfig(relayEnvFor('oauth', sandbox.url)).mode).toMatchObject({ issuer: null, tokenUrl: `${sandbox.url}/oauth/token` });
  });
});

describe('a provider’s token endpoint answering with no body at all', () => {
  it.each([204, 205])('%i: the relay says so (502 with words), never fails itself', async (status) => {
    const relay = createRelay(loadRelayConfig(relayEnvFor('oauth', 'http://127.0.0.1:9')), { fetch: async () => new Response(null, { status }) });
    const bodies: Record<string, string>[] = [{ grant_type: 'refresh_token', refresh_token: `r-${status}` }, { grant_type: 'authorization_code', code: 'c', code_verifier: VERIFIER, redirect_uri: REDIRECT }];
    for (const body of bodies) {
      const response = await relay.request('/token', {
        method: 'POST', headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body),
      });
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({ error: 'server_error', error_description: `The sign-in provider answered ${status} without an OAuth error.` });
    }
  });
});
