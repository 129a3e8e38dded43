/**
 * The sandbox behaves like Agile CRM's REST API (paths, shapes, quirks) and like a strict OAuth 2.0 server.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/sandbox/app';
import { DEV_CLIENT } from '../../src/sandbox/node';
import { s256 } from '../../src/shared/random';

let sandbox: Sandbox;
const user = () => sandbox.state.users[0]!;
const basic = () => `Basic ${btoa(`${user().email}:${user().apiKey}`)}`;
const json = { Accept: 'application/json' };
const api = (path: string, init: RequestInit = {}) =>
  sandbox.app.request(`http://sandbox.test/dev/api${path}`, { ...init, headers: { Authorization: basic(), ...json, ...init.headers } });
const demo = () => sandbox.state.seed.demoKnownEmails;

beforeEach(() => {
  sandbox = createSandbox({ clients: [DEV_CLIENT], accessTokenTtl: 60 });
});

describe('seed data', () => {
  it('is deterministic and realistic', () => {
    const again = createSandbox().state.seed;
    expect(again.contacts).toEqual(sandbox.state.seed.contacts);
    const people = again.contacts.filter((contact) => contact.type === 'PERSON');
    expect(people.length).toBeGreaterThanOrEqual(200);
    expect(people.every((contact) => String(contact.id).length === 16 && Number.isSafeInteger(contact.id))).toBe(true);
    expect(people.some((contact) => contact.properties.filter((p) => p.name === 'email').length > 1)).toBe(true);
    expect(people.some((contact) => contact.properties.filter((p) => p.name === 'phone').length > 1)).toBe(true);
    expect(people.some((contact) => contact.properties.some((p) => p.name === 'address' && !String(p.value).startsWith('{')))).toBe(true);
    expect(people.some((contact) => contact.properties.some((p) => p.type === 'CUSTOM' && typeof p.value === 'number'))).toBe(true);
    expect(people.every((contact) => contact.properties.filter((p) => p.name === 'email').every((p) => p.type === undefined))).toBe(true);
  });
});

describe('REST API', () => {
  it('answers XML unless the client asks for JSON', async () => {
    const xml = await sandbox.app.request(`http://sandbox.test/dev/api/contacts/search/email/${encodeURIComponent(demo()[0]!)}`, { headers: { Authorization: basic() } });
    expect(xml.headers.get('content-type')).toMatch(/xml/);
    expect(await xml.text()).toMatch(/^<\?xml/);
    const asJson = await api(`/contacts/search/email/${encodeURIComponent(demo()[0]!)}`);
    expect(asJson.headers.get('content-type')).toMatch(/json/);
  });

  it('finds a contact by email, 204 with an empty body when there is none', async () => {
    const found = await api(`/contacts/search/email/${encodeURIComponent(demo()[1]!)}`);
    expect(found.status).toBe(200);
    expect(typeof (await found.json()).id).toBe('number');
    const missing = await api('/contacts/search/email/nobody%40nowhere.example');
    expect(missing.status).toBe(204);
    expect(await missing.text()).toBe('');
  });

  it('reads a raw + in the path as a space, like Agile: %2B is required', async () => {
    const plus = demo()[4]!;
    expect(plus).toContain('+');
    expect((await api(`/contacts/search/email/${plus}`)).status).toBe(204);
    expect((await api(`/contacts/search/email/${encodeURIComponent(plus)}`)).status).toBe(200);
  });

  it('batch lookup: one entry per email, null for misses, string ids; 400 for a malformed email', async () => {
    const form = (emails: unknown) => api('/contacts/search/email', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email_ids: JSON.stringify(emails) }),
    });
    const answer = await (await form([demo()[0], 'nobody@nowhere.example', demo()[2]])).json();
    expect(answer).toHaveLength(3);
    expect(answer[1]).toBeNull();
    expect(typeof answer[0].id).toBe('string');
    expect((await form(['not-an-email'])).status).toBe(400);
    expect((await form('nope')).status).toBe(400);
  });

  it('GET /contacts/{id}: 200, or 204 when missing', async () => {
    const id = sandbox.state.seed.contacts[20]!.id;
    expect((await api(`/contacts/${id}`)).status).toBe(200);
    expect((await api('/contacts/1234567890123456')).status).toBe(204);
  });

  it('search needs q, page_size and type; a missing one answers 500 with HTML', async () => {
    const ok = await api('/search?q=uptake&page_size=5&type=PERSON');
    const hits = await ok.json();
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThanOrEqual(5);
    const broken = await api('/search?q=uptake&type=PERSON');
    expect(broken.status).toBe(500);
    expect(broken.headers.get('content-type')).toMatch(/html/);
  });

  it('401 with a Basic challenge for wrong credentials, and no stack trace anywhere', async () => {
    const wrong = await sandbox.app.request('http://sandbox.test/dev/api/contacts/1', { headers: { Authorization: `Basic ${btoa(`${user().email}:wrong`)}` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="agilecrm"');
    const garbage = await sandbox.app.request('http://sandbox.test/dev/api/contacts/1', { headers: { Authorization: 'Basic %%%' } });
    expect(garbage.status).toBe(401);
  });

  it('creating a contact: first name required, duplicate email 400, contact limit 406', async () => {
    const create = (properties: unknown[]) => api('/contacts', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'PERSON', properties }) });
    expect((await create([{ name: 'email', value: 'new@example.com' }])).status).toBe(400);
    const made = await create([{ type: 'SYSTEM', name: 'first_name', value: 'New' }, { name: 'email', value: 'new@example.com' }]);
    expect(made.status).toBe(200);
    const duplicate = await create([{ type: 'SYSTEM', name: 'first_name', value: 'Again' }, { name: 'email', value: 'NEW@example.com' }]);
    expect(duplicate.status).toBe(400);
    expect(await duplicate.text()).toBe('Sorry, duplicate contact found with the same email address.');
    sandbox = createSandbox({ contactLimit: 1 });
    expect((await create([{ type: 'SYSTEM', name: 'first_name', value: 'Over' }, { name: 'email', value: 'over@example.com' }])).status).toBe(406);
  });

  it('notes, tasks and deals per contact; tags added and removed', async () => {
    const id = String(sandbox.state.seed.notes[0]!.contact_ids[0]);
    expect((await (await api(`/contacts/${id}/notes`)).json()).length).toBeGreaterThan(0);
    expect(Array.isArray(await (await api(`/contacts/${id}/tasks/sort`)).json())).toBe(true);
    expect(Array.isArray(await (await api(`/contacts/${id}/deals`)).json())).toBe(true);
    const tagged = await (await api('/contacts/edit/tags', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id, tags: ['hot-lead'] }) })).json();
    expect(tagged.tags).toContain('hot-lead');
    const untagged = await (await api('/contacts/delete/tags', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id, tags: ['hot-lead'] }) })).json();
    expect(untagged.tags).not.toContain('hot-lead');
  });

  it('wrong verbs get 405, unknown paths 404, bodies over 1 MB 413', async () => {
    expect((await api('/contacts/search/email', { method: 'DELETE' })).status).toBe(405);
    expect((await api('/nothing-here')).status).toBe(404);
    const huge = await api('/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(1024 * 1024 + 10) });
    expect(huge.status).toBe(413);
  });
});

describe('OAuth 2.0 server', () => {
  const redirectUri = DEV_CLIENT.redirectUris[0]!;
  const verifier = 'a'.repeat(43) + 'verifier-for-tests';
  const clientAuth = `Basic ${btoa(`${DEV_CLIENT.clientId}:${DEV_CLIENT.clientSecret}`)}`;

  async function authorize(params: Record<string, string> = {}) {
    const query = new URLSearchParams({
      response_type: 'code', client_id: DEV_CLIENT.clientId, redirect_uri: redirectUri, state: 'state-123',
      code_challenge: await s256(verifier), code_challenge_method: 'S256', ...params,
    });
    return sandbox.app.request(`http://sandbox.test/oauth/authorize?${query}`);
  }
  async function consent(decision: 'allow' | 'deny', password = user().password, params: Record<string, string> = {}) {
    const page = await (await authorize(params)).text();
    const requestId = /name="request_id" value="([^"]+)"/.exec(page)![1]!;
    return sandbox.app.request('http://sandbox.test/oauth/authorize', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request_id: requestId, email: user().email, password, decision }),
    });
  }
  async function code(): Promise<string> {
    const location = (await consent('allow')).headers.get('location')!;
    const url = new URL(location);
    expect(url.searchParams.get('state')).toBe('state-123');
    return url.searchParams.get('code')!;
  }
  const token = (body: Record<string, string>, authorization = clientAuth) => sandbox.app.request('http://sandbox.test/oauth/token', {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: authorization }, body: new URLSearchParams(body),
  });

  it('shows errors for an unknown client or redirect URI on a 200 page, never redirecting', async () => {
    for (const response of [await authorize({ client_id: 'nope' }), await authorize({ redirect_uri: `${redirectUri}x` })]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toMatch(/role="alert"/);
    }
  });

  it('requires PKCE S256', async () => {
    for (const params of [{ code_challenge: '' }, { code_challenge_method: 'plain' }] as Record<string, string>[]) {
      const location = new URL((await authorize(params)).headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe('state-123');
    }
  });

  it('Deny → access_denied with the state; wrong password → the page again, 200', async () => {
    const denied = new URL((await consent('deny')).headers.get('location')!);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('state-123');
    const wrong = await consent('allow', 'wrong');
    expect(wrong.status).toBe(200);
    expect(await wrong.text()).toMatch(/Wrong email or password/);
  });

  it('exchanges a code once, with the right verifier and client secret', async () => {
    const first = await code();
    expect((await token({ grant_type: 'authorization_code', code: first, redirect_uri: redirectUri, code_verifier: verifier }, `Basic ${btoa(`${DEV_CLIENT.clientId}:wrong`)}`)).status).toBe(401);
    const wrongVerifier = await token({ grant_type: 'authorization_code', code: first, redirect_uri: redirectUri, code_verifier: 'b'.repeat(43) });
    expect(await wrongVerifier.json()).toMatchObject({ error: 'invalid_grant' });

    const second = await code();
    const ok = await token({ grant_type: 'authorization_code', code: second, redirect_uri: redirectUri, code_verifier: verifier });
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const tokens = await ok.json();
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    const bearer = await sandbox.app.request(`http://sandbox.test/dev/api/contacts/search/email/${encodeURIComponent(demo()[0]!)}`, { headers: { Authorization: `Bearer ${tokens.access_token}`, ...json } });
    expect(bearer.status).toBe(200);

    const replay = await token({ grant_type: 'authorization_code', code: second, redirect_uri: redirectUri, code_verifier: verifier });
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    // A replayed code revokes what it issued.
    const after = await sandbox.app.request('http://sandbox.test/dev/api/contacts/1', { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(after.status).toBe(401);
  });

  it('rotates refresh tokens; reusing a used one revokes the whole grant', async () => {
    const tokens = await (await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: redirectUri, code_verifier: verifier })).json();
    const rotated = await (await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).json();
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    const reuse = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
    const next = await token({ grant_type: 'refresh_token', refresh_token: rotated.refresh_token });
    expect(await next.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes (RFC 7009): 200 for known and unknown tokens; the grant stops working', async () => {
    const tokens = await (await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: redirectUri, code_verifier: verifier })).json();
    const revoke = (value: string) => sandbox.app.request('http://sandbox.test/oauth/revoke', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: clientAuth }, body: new URLSearchParams({ token: value }),
    });
    expect((await revoke('unknown')).status).toBe(200);
    expect((await revoke(tokens.refresh_token)).status).toBe(200);
    expect(await (await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).json()).toMatchObject({ error: 'invalid_grant' });
    expect(sandbox.state.userForAccessToken(tokens.access_token)).toBeNull();
  });

  it('expires access tokens after their configured lifetime', async () => {
    sandbox = createSandbox({ clients: [DEV_CLIENT], accessTokenTtl: 1 });
    const tokens = await (await token({ grant_type: 'authorization_code', code: await code(), redirect_uri: redirectUri, code_verifier: verifier })).json();
    expect(sandbox.state.userForAccessToken(tokens.access_token)).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(sandbox.state.userForAccessToken(tokens.access_token)).toBeNull();
  });

  it('refuses other grants and malformed bodies with OAuth errors', async () => {
    expect(await (await token({ grant_type: 'password', username: 'x', password: 'y' })).json()).toMatchObject({ error: 'unsupported_grant_type' });
    const notForm = await sandbox.app.request('http://sandbox.test/oauth/token', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: clientAuth }, body: '{}' });
    expect(await notForm.json()).toMatchObject({ error: 'invalid_request' });
  });

  describe('switches that make it behave like stricter providers', () => {
    const exchange = async (params: Record<string, string> = {}) => {
      const location = new URL((await consent('allow', user().password, params)).headers.get('location')!);
      return (await token({ grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: verifier })).json();
    };

    it('required scopes: a request without one is refused with access_denied, saying which', async () => {
      sandbox = createSandbox({ clients: [DEV_CLIENT], requiredScopes: ['contacts.read'] });
      const refused = new URL((await authorize()).headers.get('location')!);
      expect(refused.searchParams.get('error')).toBe('access_denied');
      expect(refused.searchParams.get('error_description')).toBe('This application must request the scope contacts.read.');
      expect((await authorize({ scope: 'contacts.read' })).status).toBe(200);
    });

    it('refresh tokens only for offline_access asked with prompt=consent, or never', async () => {
      sandbox = createSandbox({ clients: [DEV_CLIENT], refreshTokens: 'offline_access' });
      expect((await exchange({ scope: 'offline_access' })).refresh_token).toBeUndefined();
      const granted = await exchange({ scope: 'offline_access', prompt: 'consent' });
      expect(granted).toMatchObject({ scope: 'offline_access' });
      expect(granted.refresh_token).toBeTruthy();
      sandbox = createSandbox({ clients: [DEV_CLIENT], refreshTokens: 'never' });
      expect((await exchange({ scope: 'offline_access', prompt: 'consent' })).refresh_token).toBeUndefined();
    });

    it('OpenID Connect: discovery, a JWKS, and an ID token for openid signed with it', async () => {
      sandbox = createSandbox({ clients: [DEV_CLIENT], discovery: 'openid', idTokenAlg: 'ES256', sendIssuer: true });
      const metadata = await (await sandbox.app.request('http://sandbox.test/.well-known/openid-configuration')).json();
      expect(metadata).toMatchObject({ issuer: 'http://sandbox.test', jwks_uri: 'http://sandbox.test/oauth/jwks', id_token_signing_alg_values_supported: ['ES256'], authorization_response_iss_parameter_supported: true });
      expect((await sandbox.app.request('http://sandbox.test/.well-known/oauth-authorization-server')).status).toBe(404);
      const jwks = await (await sandbox.app.request('http://sandbox.test/oauth/jwks')).json();
      const { jwtVerify, createLocalJWKSet } = await import('jose');
      const { id_token: idToken } = await exchange({ scope: 'openid email', nonce: 'n-1' });
      const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), { issuer: 'http://sandbox.test', audience: DEV_CLIENT.clientId });
      expect(payload).toMatchObject({ email: user().email, name: user().name, nonce: 'n-1', sub: String(user().id) });
      expect((await exchange({ scope: 'email' })).id_token).toBeUndefined();
    });

    it('prompt=none: a code at once from the session and consent the consent page left, else login_required / consent_required', async () => {
      const silent = async (cookie?: string, scope = '') => sandbox.app.request(`http://sandbox.test/oauth/authorize?${new URLSearchParams({
        response_type: 'code', client_id: DEV_CLIENT.clientId, redirect_uri: redirectUri, state: 'silent', code_challenge: await s256(verifier), code_challenge_method: 'S256', prompt: 'none', scope,
      })}`, { headers: cookie ? { Cookie: cookie } : {} });
      const noSession = new URL((await silent()).headers.get('location')!);
      expect(noSession.searchParams.get('error')).toBe('login_required');
      const allowed = await consent('allow', user().password, { scope: 'email' });
      const cookie = allowed.headers.get('set-cookie')!.split(';')[0]!;
      const again = new URL((await silent(cookie, 'email')).headers.get('location')!);
      expect(again.searchParams.get('code')).toBeTruthy();
      expect(again.searchParams.get('state')).toBe('silent');
      const wider = new URL((await silent(cookie, 'email contacts.write')).headers.get('location')!);
      expect(wider.searchParams.get('error')).toBe('consent_required');
      const mixed = new URL((await authorize({ prompt: 'none login' })).headers.get('location')!);
      expect(mixed.searchParams.get('error')).toBe('invalid_request');
    });

    it('names itself in error answers too when iss is on (RFC 9207)', async () => {
      sandbox = createSandbox({ clients: [DEV_CLIENT], sendIssuer: true });
      const denied = new URL((await consent('deny')).headers.get('location')!);
      expect(denied.searchParams.get('iss')).toBe('http://sandbox.test');
      const noPkce = new URL((await authorize({ code_challenge_method: 'plain' })).headers.get('location')!);
      expect(noPkce.searchParams.get('iss')).toBe('http://sandbox.test');
    });
  });
});
