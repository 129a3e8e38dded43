/**
 * The relay can reach no host outside its configuration: whatever a caller sends, upstream URLs come only from
 * configured templates filled with strictly validated Agile CRM domains. Checked in-process, where every
 * upstream call can be recorded (including calls to hosts that do not exist).
 */
import { describe, expect, it } from 'vitest';
import { createRelay } from '../../src/relay/app';
import { BRIDGE_CLIENT_ID } from '../../src/relay/bridge';
import { loadRelayConfig } from '../../src/relay/config';
import { createSealer } from '../../src/relay/seal';
import { chromiumRedirectUri, extensionOrigin, PINNED_EXTENSION_ID } from '../../src/shared/extension-id';
import { base64url, s256 } from '../../src/shared/random';

const ORIGIN = extensionOrigin(PINNED_EXTENSION_ID);
const REDIRECT = chromiumRedirectUri(PINNED_EXTENSION_ID);
const INJECTIONS = ['evil.com#', 'a.b', 'x@y', '..', '%2e', 'аcme', 'ａｃｍｅ', '', 'a'.repeat(200), 'acme/../x', 'acme:80', 'evil.com/acme'];

function recordingRelay(env: Record<string, string>) {
  const calls: string[] = [];
  const relay = createRelay(loadRelayConfig(env), {
    fetch: async (input) => {
      calls.push(String(input));
      return new Response('{"error":"invalid_grant"}', { status: 400, headers: { 'Content-Type': 'application/json' } });
    },
  });
  return { relay, calls };
}
const form = (body: Record<string, string>) => ({
  method: 'POST', headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body),
});

describe('OAuth mode', () => {
  it('fills {domain} templates only with validated domains, and calls nothing for the rest', async () => {
    const { relay, calls } = recordingRelay({ OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 's' });
    for (const domain of INJECTIONS) {
      expect((await relay.request('/token', form({ grant_type: 'refresh_token', refresh_token: 'r', domain }))).status).toBe(400);
      expect((await relay.request('/revoke', form({ token: 'r', domain }))).status).toBe(400);
    }
    expect(calls).toEqual([]);
    await relay.request('/token', form({ grant_type: 'refresh_token', refresh_token: 'r', domain: 'acme' }));
    expect(calls).toEqual(['https://acme.agilecrm.com/oauth/token']);
  });

  it('sends the browser upstream only to the configured authorize endpoint', async () => {
    const { relay } = recordingRelay({ OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 's' });
    const query = (domain: string) => new URLSearchParams({ response_type: 'code', client_id: 'x', redirect_uri: REDIRECT, state: 's', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', domain });
    for (const domain of INJECTIONS) {
      const location = new URL((await relay.request(`/authorize?${query(domain)}`)).headers.get('location')!);
      expect(location.origin + location.pathname).toBe(REDIRECT);
      expect(location.searchParams.get('error')).toBe('invalid_request');
    }
    const ok = new URL((await relay.request(`/authorize?${query('Acme')}`)).headers.get('location')!);
    expect(ok.origin + ok.pathname).toBe('https://acme.agilecrm.com/oauth/authorize');
  });
});

describe('bridge mode', () => {
  const key = base64url(new Uint8Array(32).fill(3));
  const env = { RELAY_MODE: 'bridge', RELAY_SEAL_KEY: key, AGILE_BASE_URL: 'https://{domain}.agilecrm.com', RELAY_UPSTREAM_TIMEOUT: '1' };

  async function submit(relay: ReturnType<typeof recordingRelay>['relay'], domain: string) {
    const query = new URLSearchParams({ response_type: 'code', client_id: BRIDGE_CLIENT_ID, redirect_uri: REDIRECT, code_challenge: await s256('v'.repeat(43)), code_challenge_method: 'S256' });
    const page = await (await relay.request(`/authorize?${query}`)).text();
    const requestId = /name="request_id" value="([^"]+)"/.exec(page)![1]!;
    return relay.request('/authorize', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request_id: requestId, domain, email: 'rep@acme.example', api_key: 'key' }),
    });
  }

  it('checks credentials only against the account’s own host', async () => {
    const { relay, calls } = recordingRelay(env);
    for (const domain of INJECTIONS) {
      const response = await submit(relay, domain);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/role="alert"/);
    }
    expect(calls).toEqual([]);
    await submit(relay, 'https://Acme.agilecrm.com/');
    expect(calls.map((call) => new URL(call).origin)).toEqual(['https://acme.agilecrm.com']);
  });

  it('proxies only to the domain sealed in the token, whatever the request says', async () => {
    const { relay, calls } = recordingRelay(env);
    const token = await createSealer(new Uint8Array(32).fill(3)).seal('access', { d: 'acme', e: 'rep@acme.example', k: 'key', g: 'g', exp: Math.floor(Date.now() / 1000) + 60 });
    await relay.request('/agile/contacts/search/email/a%40b.example?domain=evil.com', {
      headers: { Origin: ORIGIN, Authorization: `Bearer ${token}`, Host: 'evil.com', 'X-Forwarded-Host': 'evil.com' },
    });
    expect(calls).toEqual(['https://acme.agilecrm.com/dev/api/contacts/search/email/a%40b.example']);
  });

  it('a token sealed with a domain that is not one fails closed', async () => {
    const { relay, calls } = recordingRelay(env);
    const token = await createSealer(new Uint8Array(32).fill(3)).seal('access', { d: 'evil.com#', e: 'rep@acme.example', k: 'key', g: 'g', exp: Math.floor(Date.now() / 1000) + 60 });
    const response = await relay.request('/agile/contacts/1', { headers: { Origin: ORIGIN, Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(calls).toEqual([]);
  });
});

describe('the proxy’s path list', () => {
  it('re-encodes the email in a lookup path, so what Agile receives is exactly one address', async () => {
    const { forwardedPath } = await import('../../src/relay/bridge');
    expect(forwardedPath('GET', 'contacts/search/email/sofia.yilmaz+crm@redwoodcap.example')).toBe('contacts/search/email/sofia.yilmaz%2Bcrm%40redwoodcap.example');
    expect(forwardedPath('GET', 'contacts/search/email/a%40b.example')).toBe('contacts/search/email/a%40b.example');
    expect(forwardedPath('GET', 'contacts/search/email/a%40b%2F..%2Fusers')).toBeNull();
    expect(forwardedPath('GET', 'contacts/search/email/%E0%A4%A')).toBeNull();
    // An address by the one definition (shared/email.ts), as written: Unicode and apostrophes pass, re-encoded.
    expect(forwardedPath('GET', `contacts/search/email/${encodeURIComponent("sean.o'connor@münchen.example")}`))
      .toBe(`contacts/search/email/${encodeURIComponent("sean.o'connor@münchen.example")}`);
    // Not an address, or one with what a server decoding the path twice could read as a separator or an escape.
    for (const email of ['a@b', 'a..b@example.com', '"a b"@example.com', 'a@b@example.com', 'a%2e%2e%2fx@example.com', 'a/b@example.com', 'a@example.com;x']) {
      expect(forwardedPath('GET', `contacts/search/email/${encodeURIComponent(email)}`), email).toBeNull();
    }
    expect(forwardedPath('POST', 'contacts/5629585266009715')).toBeNull();
    expect(forwardedPath('GET', 'contacts/5629585266009715/notes')).toBe('contacts/5629585266009715/notes');
  });
});
