/**
 * The relay in OAuth mode, over real loopback HTTP against the sandbox's OAuth server: what it forwards, what it
 * refuses, and what it never writes down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayEnvFor } from '../../scripts/dev-stack';
import { loadRelayConfig, RelayConfigError } from '../../src/relay/config';
import { startRelay } from '../../src/relay/node';
import { DEV_CLIENT, startSandbox, type SandboxServer } from '../../src/sandbox/node';
import { chromiumRedirectUri, extensionOrigin, FIREFOX_ORIGINS, PINNED_EXTENSION_ID, PINNED_FIREFOX_REDIRECT_URI } from '../../src/shared/extension-id';
import { s256 } from '../../src/shared/random';
import { RUNTIMES, settledLog, startRelayOn, type RunningRelay } from '../relay-runtime';

const ORIGIN = extensionOrigin(PINNED_EXTENSION_ID);
const REDIRECT = chromiumRedirectUri(PINNED_EXTENSION_ID);
/** A Firefox installation's origin: a uuid Firefox drew at random. */
const FIREFOX_ORIGIN = 'moz-extension://3d9b9a4a-1f7c-4a61-9b1a-8a2f0c3e5d11';
const VERIFIER = 'v'.repeat(50);
describe('configuration', () => {
  it('refuses to start without the client secret, saying so', () => {
    expect(() => loadRelayConfig({ RELAY_MODE: 'oauth', OAUTH_CLIENT_ID: 'x' })).toThrow(/OAUTH_CLIENT_SECRET is required/);
    expect(() => loadRelayConfig({ RELAY_MODE: 'bridge' })).toThrow(/RELAY_SEAL_KEY is required/);
  });
  it('reports every problem at once, and refuses plain http off loopback', () => {
    try {
      loadRelayConfig({ RELAY_MODE: 'oauth', OAUTH_TOKEN_URL: 'http://auth.example.com/token', RELAY_ALLOWED_ORIGINS: 'not an origin' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RelayConfigError);
      const { problems } = error as RelayConfigError;
      expect(problems.join('\n')).toMatch(/OAUTH_CLIENT_ID/);
      expect(problems.join('\n')).toMatch(/OAUTH_CLIENT_SECRET/);
      expect(problems.join('\n')).toMatch(/OAUTH_TOKEN_URL must be an https URL/);
      expect(problems.join('\n')).toMatch(/not an origin/);
    }
  });
  it('the Node listener refuses to face the network without its public https address', async () => {
    const env = { OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 's' };
    await expect(startRelay(env, { host: '0.0.0.0', port: 0 })).rejects.toThrow(/RELAY_PUBLIC_URL is required when the relay listens on 0\.0\.0\.0/);
    const relay = await startRelay({ ...env, RELAY_PUBLIC_URL: 'https://relay.example.com' }, { host: '0.0.0.0', port: 0 });
    await relay.close();
  });

  it('defaults to Agile CRM’s endpoints for the account’s domain and the pinned extension, in Chromium and Firefox', () => {
    const config = loadRelayConfig({ OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 's' });
    expect(config.mode).toMatchObject({ authorizeUrl: 'https://{domain}.agilecrm.com/oauth/authorize', tokenUrl: 'https://{domain}.agilecrm.com/oauth/token' });
    expect(config.allowedOrigins).toEqual([ORIGIN, FIREFOX_ORIGINS]);
    expect(config.allowedRedirectUris).toEqual([REDIRECT, PINNED_FIREFOX_REDIRECT_URI]);
  });
});

describe.each(RUNTIMES)('OAuth mode on %s', (runtime) => {
  let sandbox: SandboxServer;
  let relay: RunningRelay;
  beforeAll(async () => {
    sandbox = await startSandbox();
    relay = await startRelayOn(runtime, relayEnvFor('oauth', sandbox.url));
  });
  afterAll(async () => {
    await relay.close();
    await sandbox.close();
  });
  const post = (path: string, body: string | URLSearchParams, headers: Record<string, string> = {}) =>
    fetch(`${relay.url}${path}`, { method: 'POST', body, headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded', ...headers } });

  /** A real authorization code from the sandbox, obtained the way the browser would. */
  async function authorizationCode(redirectUri = REDIRECT): Promise<string> {
    const authorize = new URL(`${relay.url}/authorize`);
    for (const [key, value] of Object.entries({
      response_type: 'code', client_id: DEV_CLIENT.clientId, redirect_uri: redirectUri, state: 's', code_challenge: await s256(VERIFIER), code_challenge_method: 'S256',
    })) authorize.searchParams.set(key, value);
    const toSandbox = await fetch(authorize, { redirect: 'manual' });
    expect(toSandbox.status).toBe(302);
    const consentUrl = toSandbox.headers.get('location')!;
    expect(consentUrl.startsWith(`${sandbox.url}/oauth/authorize?`)).toBe(true);
    const page = await (await fetch(consentUrl)).text();
    const requestId = /name="request_id" value="([^"]+)"/.exec(page)![1]!;
    const user = sandbox.state.users[0]!;
    const back = await fetch(`${sandbox.url}/oauth/authorize`, {
      method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request_id: requestId, email: user.email, password: user.password, decision: 'allow' }),
    });
    return new URL(back.headers.get('location')!).searchParams.get('code')!;
  }

  it('publishes RFC 8414 metadata naming its own endpoints and the public client id', async () => {
    const metadata = await (await fetch(`${relay.url}/.well-known/oauth-authorization-server`, { headers: { Origin: ORIGIN } })).json();
    expect(metadata).toMatchObject({
      issuer: relay.url, authorization_endpoint: `${relay.url}/authorize`, token_endpoint: `${relay.url}/token`,
      revocation_endpoint: `${relay.url}/revoke`, code_challenge_methods_supported: ['S256'], client_id: DEV_CLIENT.clientId,
    });
    expect(JSON.stringify(metadata)).not.toContain(DEV_CLIENT.clientSecret);
    const again = await fetch(`${relay.url}/.well-known/oauth-authorization-server`);
    expect(again.headers.get('cache-control')).toBe('no-store');
  });

  it('exchanges a code with the client secret added, and rotates through refresh', async () => {
    const exchanged = await post('/token', new URLSearchParams({ grant_type: 'authorization_code', code: await authorizationCode(), code_verifier: VERIFIER, redirect_uri: REDIRECT }));
    expect(exchanged.status).toBe(200);
    expect(exchanged.headers.get('cache-control')).toBe('no-store');
    expect(exchanged.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const tokens = await exchanged.json();
    expect(tokens).toMatchObject({ token_type: 'Bearer', agile_api_base: `${sandbox.url}/dev/api`, agile_web_base: sandbox.url });
    const refreshed = await (await post('/token', new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }))).json();
    expect(refreshed.access_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // Presented again within RELAY_REFRESH_REUSE_GRACE: the same answer, and the sandbox never sees a reuse.
    const calls = sandbox.state.count('token.refresh_token');
    const reused = await post('/token', new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }));
    expect(await reused.json()).toEqual(refreshed);
    expect(sandbox.state.count('token.refresh_token')).toBe(calls);
    expect(sandbox.state.count('token.refresh_reused')).toBe(0);
  });

  it('passes a wrong verifier’s invalid_grant through', async () => {
    const response = await post('/token', new URLSearchParams({ grant_type: 'authorization_code', code: await authorizationCode(), code_verifier: 'w'.repeat(43), redirect_uri: REDIRECT }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes through the upstream (RFC 7009)', async () => {
    const tokens = await (await post('/token', new URLSearchParams({ grant_type: 'authorization_code', code: await authorizationCode(), code_verifier: VERIFIER, redirect_uri: REDIRECT }))).json();
    const before = sandbox.state.count('revoke');
    const revoked = await post('/revoke', new URLSearchParams({ token: tokens.refresh_token, token_type_hint: 'refresh_token' }));
    expect(revoked.status).toBe(200);
    expect(sandbox.state.count('revoke')).toBe(before + 1);
    expect(sandbox.state.userForAccessToken(tokens.access_token)).toBeNull();
  });

  it.each([
    ['an unknown Origin', () => post('/token', 'grant_type=refresh_token&refresh_token=x', { Origin: 'https://evil.example' }), 403, 'access_denied'],
    ['a Firefox origin that is not an installation’s (the pattern itself)', () => post('/token', 'grant_type=refresh_token&refresh_token=x', { Origin: FIREFOX_ORIGINS }), 403, 'access_denied'],
    ['a Firefox origin in upper case', () => post('/token', 'grant_type=refresh_token&refresh_token=x', { Origin: FIREFOX_ORIGIN.toUpperCase() }), 403, 'access_denied'],
    ['a Firefox origin with a path', () => post('/token', 'grant_type=refresh_token&refresh_token=x', { Origin: `${FIREFOX_ORIGIN}/` }), 403, 'access_denied'],
    ['no Origin', () => fetch(`${relay.url}/token`, { method: 'POST', body: 'grant_type=refresh_token&refresh_token=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 403, 'access_denied'],
    ['a redirect URI not on the list', () => post('/token', new URLSearchParams({ grant_type: 'authorization_code', code: 'c', code_verifier: VERIFIER, redirect_uri: 'https://evil.example/' })), 400, 'invalid_request'],
    ['another grant', () => post('/token', 'grant_type=password&username=a&password=b'), 400, 'unsupported_grant_type'],
    ['client_credentials', () => post('/token', 'grant_type=client_credentials'), 400, 'unsupported_grant_type'],
    ['a missing grant_type', () => post('/token', 'code=x'), 400, 'invalid_request'],
    ['a JSON body', () => post('/token', '{"grant_type":"refresh_token"}', { 'Content-Type': 'application/json' }), 400, 'invalid_request'],
    ['a repeated parameter', () => post('/token', 'grant_type=refresh_token&refresh_token=a&refresh_token=b'), 400, 'invalid_request'],
    ['a short code_verifier', () => post('/token', new URLSearchParams({ grant_type: 'authorization_code', code: 'c', code_verifier: 'short', redirect_uri: REDIRECT })), 400, 'invalid_request'],
    ['an oversized body', () => post('/token', `grant_type=refresh_token&refresh_token=${'x'.repeat(20_000)}`), 413, 'invalid_request'],
    ['a revoke without token', () => post('/revoke', 'token_type_hint=refresh_token'), 400, 'invalid_request'],
  ])('refuses %s', async (_name, send, status, error) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({ error });
  });

  it('answers a CORS preflight only for the extension', async () => {
    const ok = await fetch(`${relay.url}/token`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const evil = await fetch(`${relay.url}/token`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a Firefox installation (any uuid) signs in with the pinned Firefox redirect URI: preflight, metadata, code exchange', async () => {
    const preflight = await fetch(`${relay.url}/token`, { method: 'OPTIONS', headers: { Origin: FIREFOX_ORIGIN, 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(FIREFOX_ORIGIN);
    const metadata = await fetch(`${relay.url}/.well-known/oauth-authorization-server`, { headers: { Origin: FIREFOX_ORIGIN } });
    expect(metadata.headers.get('access-control-allow-origin')).toBe(FIREFOX_ORIGIN);
    const exchanged = await post('/token', new URLSearchParams({
      grant_type: 'authorization_code', code: await authorizationCode(PINNED_FIREFOX_REDIRECT_URI), code_verifier: VERIFIER, redirect_uri: PINNED_FIREFOX_REDIRECT_URI,
    }), { Origin: FIREFOX_ORIGIN });
    expect(exchanged.status).toBe(200);
    expect(exchanged.headers.get('access-control-allow-origin')).toBe(FIREFOX_ORIGIN);
    expect(await exchanged.json()).toMatchObject({ token_type: 'Bearer', refresh_token: expect.any(String) });
  });

  it('authorize: checks client, redirect URI and PKCE before sending the browser upstream', async () => {
    const authorize = (params: Record<string, string>) => fetch(`${relay.url}/authorize?${new URLSearchParams({
      response_type: 'code', client_id: DEV_CLIENT.clientId, redirect_uri: REDIRECT, state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...params,
    })}`, { redirect: 'manual' });
    const wrongClient = await authorize({ client_id: 'other' });
    expect(wrongClient.status).toBe(200);
    // Sign-in pages cannot be framed (clickjacking) and do not leak their URL.
    expect(wrongClient.headers.get('x-frame-options')).toBe('DENY');
    expect(wrongClient.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(wrongClient.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await wrongClient.text()).toMatch(/does not serve/);
    const wrongRedirect = await authorize({ redirect_uri: 'https://evil.example/' });
    expect(wrongRedirect.status).toBe(200);
    expect(wrongRedirect.headers.get('location')).toBeNull();
    const noPkce = new URL((await authorize({ code_challenge_method: 'plain' })).headers.get('location')!);
    expect(noPkce.origin + noPkce.pathname).toBe(REDIRECT);
    expect(noPkce.searchParams.get('error')).toBe('invalid_request');
  });

  it('says so when the upstream is down, without leaking anything', async () => {
    const orphan = await startRelayOn(runtime, relayEnvFor('oauth', 'http://127.0.0.1:9'));
    try {
      const response = await fetch(`${orphan.url}/token`, {
        method: 'POST', headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=r',
      });
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await orphan.close();
    }
  });

  it('never logs codes, tokens or secrets', async () => {
    const log = JSON.stringify(await settledLog(relay, 10));
    expect(relay.log.length).toBeGreaterThan(10);
    expect(log).not.toContain(DEV_CLIENT.clientSecret);
    expect(log).not.toMatch(/code=|refresh_token|access_token|code_verifier|\?/);
  });
});
