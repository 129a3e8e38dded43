/**
 * The relay's configuration traps: each one a sentence at start-up naming the variable and the fix, never a relay
 * that starts and then refuses every sign-in. Parsers of the new variables are fuzzed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRelayConfig, parseAuthorizeParams, parseScope, readRelayConfig, RelayConfigError, type OAuthMode, type RelayEnv } from '../../src/relay/config';
import { originMatcher } from '../../src/relay/middleware/allowed-origin';
import { chromiumRedirectUri, extensionOrigin, FIREFOX_ORIGINS, PINNED_EXTENSION_ID, PINNED_FIREFOX_REDIRECT_URI, redirectUriProblem } from '../../src/shared/extension-id';

const CLIENT = { OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 's' };
const REDIRECT = chromiumRedirectUri(PINNED_EXTENSION_ID);

function problems(env: RelayEnv): string[] {
  return readRelayConfig(env).problems;
}
const oauthMode = (env: RelayEnv) => loadRelayConfig({ ...CLIENT, ...env }).mode as OAuthMode;

describe('redirect URIs: exactly what the browser produces', () => {
  it('a Chromium redirect URI without its trailing slash is reported with the fix', () => {
    const [problem] = problems({ ...CLIENT, RELAY_ALLOWED_REDIRECT_URIS: REDIRECT.slice(0, -1) });
    expect(problem).toBe(`RELAY_ALLOWED_REDIRECT_URIS: ${REDIRECT.slice(0, -1)} is missing the trailing slash the browser adds: use ${REDIRECT}`);
  });

  it('a Firefox redirect URI without its trailing slash too; with it, both browsers are accepted', () => {
    const firefox = `https://${'3a'.repeat(20)}.extensions.allizom.org/`;
    expect(problems({ ...CLIENT, RELAY_ALLOWED_REDIRECT_URIS: firefox.slice(0, -1) })).toEqual([
      `RELAY_ALLOWED_REDIRECT_URIS: ${firefox.slice(0, -1)} is missing the trailing slash the browser adds: use ${firefox}`,
    ]);
    expect(problems({ ...CLIENT, RELAY_ALLOWED_REDIRECT_URIS: `${REDIRECT},${firefox}` })).toEqual([]);
  });

  it.each([
    [`${REDIRECT}callback`, /not exactly what the browser produces .* use https:\/\/nkhl.*\.chromiumapp\.org\/$/],
    [REDIRECT.toUpperCase(), /not exactly what the browser produces/],
    [REDIRECT.replace('https:', 'http:'), /not exactly what the browser produces/],
    [`${REDIRECT}?x=1`, /not exactly/],
    [`${REDIRECT}#x`, /not exactly/],
    ['https://abc.chromiumapp.org/', /32 letters a–p/],
    ['https://NKHLBBFCLOMGNJAHEBAPBBADLBMHIBMQ.chromiumapp.org', /32 letters a–p|not exactly/],
    ['https://zzzz.extensions.allizom.org/', /40-digit hash/],
    ['https://example.com/callback', /not a browser extension's redirect URI/],
    ['chromiumapp.org', /not a URL/],
  ])('%s is reported', (uri, message) => {
    const found = problems({ ...CLIENT, RELAY_ALLOWED_ORIGINS: extensionOrigin(PINNED_EXTENSION_ID), RELAY_ALLOWED_REDIRECT_URIS: uri });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('a redirect URI whose extension may not call the relay (its origin is not allowed) is reported', () => {
    const other = 'a'.repeat(32);
    expect(problems({ ...CLIENT, RELAY_ALLOWED_ORIGINS: extensionOrigin(PINNED_EXTENSION_ID), RELAY_ALLOWED_REDIRECT_URIS: `${REDIRECT},${chromiumRedirectUri(other)}` })).toEqual([
      `RELAY_ALLOWED_REDIRECT_URIS names the extension ${other}, but RELAY_ALLOWED_ORIGINS does not allow its origin: add chrome-extension://${other}`,
    ]);
  });

  it('an origin with a trailing slash or a malformed extension id is reported', () => {
    expect(problems({ ...CLIENT, RELAY_ALLOWED_ORIGINS: `${extensionOrigin(PINNED_EXTENSION_ID)}/` })).toContain(
      `RELAY_ALLOWED_ORIGINS: an origin has no trailing slash: use ${extensionOrigin(PINNED_EXTENSION_ID)}`,
    );
    expect(problems({ ...CLIENT, RELAY_ALLOWED_ORIGINS: `chrome-extension://xyz,${FIREFOX_ORIGINS}`, RELAY_ALLOWED_REDIRECT_URIS: `https://${'3a'.repeat(20)}.extensions.allizom.org/` }))
      .toEqual(['RELAY_ALLOWED_ORIGINS: chrome-extension://xyz does not name an extension id (32 letters a–p).']);
  });

  it('property: whatever the string, a redirect URI is accepted exactly when it is one of the two browser forms', () => {
    const chromium = fc.stringMatching(/^[a-p]{32}$/).map((id) => `https://${id}.chromiumapp.org/`);
    const firefox = fc.stringMatching(/^[0-9a-f]{40}$/).map((hash) => `https://${hash}.extensions.allizom.org/`);
    const mangled = fc.tuple(fc.oneof(chromium, firefox), fc.constantFrom('', 'x', '/', '?a', '#', ':443', ' '), fc.boolean())
      .map(([uri, suffix, upper]) => (upper ? uri.toUpperCase() : uri.slice(0, -1)) + suffix);
    fc.assert(fc.property(fc.oneof(chromium, firefox, mangled, fc.string(), fc.webUrl()), (uri) => {
      const exact = /^https:\/\/([a-p]{32}\.chromiumapp\.org|[0-9a-f]{40}\.extensions\.allizom\.org)\/$/.test(uri);
      const problem = redirectUriProblem(uri);
      expect(problem === null).toBe(exact);
      if (problem) expect(problem).toMatch(/\S/);
    }), { numRuns: 2_000 });
  });
});

describe('Firefox: its redirect URI beside Chromium’s, any installation’s origin only with it', () => {
  const FIREFOX_ORIGIN = 'moz-extension://3d9b9a4a-1f7c-4a61-9b1a-8a2f0c3e5d11';
  const config = (env: RelayEnv) => loadRelayConfig({ ...CLIENT, ...env });

  it('by default, the pinned extension in both browsers', () => {
    expect(config({})).toMatchObject({ allowedOrigins: [extensionOrigin(PINNED_EXTENSION_ID), FIREFOX_ORIGINS], allowedRedirectUris: [REDIRECT, PINNED_FIREFOX_REDIRECT_URI] });
  });

  it('without RELAY_ALLOWED_ORIGINS, the origins follow the redirect URIs: Chromium alone lets no Firefox add-on in', () => {
    expect(config({ RELAY_ALLOWED_REDIRECT_URIS: REDIRECT }).allowedOrigins).toEqual([extensionOrigin(PINNED_EXTENSION_ID)]);
    expect(config({ RELAY_ALLOWED_REDIRECT_URIS: PINNED_FIREFOX_REDIRECT_URI }).allowedOrigins).toEqual([FIREFOX_ORIGINS]);
  });

  it('a Firefox redirect URI with no Firefox origin allowed is reported with the fix', () => {
    expect(problems({ ...CLIENT, RELAY_ALLOWED_ORIGINS: extensionOrigin(PINNED_EXTENSION_ID) })).toEqual([
      `RELAY_ALLOWED_REDIRECT_URIS names a Firefox add-on, but RELAY_ALLOWED_ORIGINS allows no Firefox origin: add ${FIREFOX_ORIGINS} (Firefox draws each installation's origin at random).`,
    ]);
  });

  it('Firefox origins with no Firefox redirect URI are reported: any add-on could use them, for nothing', () => {
    for (const origins of [FIREFOX_ORIGINS, FIREFOX_ORIGIN]) {
      expect(problems({ ...CLIENT, RELAY_ALLOWED_ORIGINS: `${extensionOrigin(PINNED_EXTENSION_ID)},${origins}`, RELAY_ALLOWED_REDIRECT_URIS: REDIRECT })).toEqual([
        `RELAY_ALLOWED_ORIGINS allows ${origins}, but RELAY_ALLOWED_REDIRECT_URIS names no Firefox add-on to sign in: add its redirect URI (${PINNED_FIREFOX_REDIRECT_URI} for the pinned one), or remove the Firefox origin.`,
      ]);
    }
  });

  it('one installation’s origin is accepted as written', () => {
    expect(problems({ ...CLIENT, RELAY_ALLOWED_ORIGINS: FIREFOX_ORIGIN, RELAY_ALLOWED_REDIRECT_URIS: PINNED_FIREFOX_REDIRECT_URI })).toEqual([]);
  });

  it.each([
    [FIREFOX_ORIGIN.toUpperCase(), /not an origin: MOZ-EXTENSION:/],
    ['moz-extension://3D9B9A4A-1F7C-4A61-9B1A-8A2F0C3E5D11', /not a Firefox add-on's origin .* write moz-extension:\/\/\*/],
    ['moz-extension://agile-crm-lookup@example.com', /not a Firefox add-on's origin/],
    ['moz-extension://*.example', /the only pattern is moz-extension:\/\/\*/],
    ['chrome-extension://*', /the only pattern is moz-extension:\/\/\*/],
    ['https://*.example.com', /the only pattern/],
    ['*', /the only pattern/],
  ])('%s is reported', (origin, message) => {
    const found = problems({ ...CLIENT, RELAY_ALLOWED_ORIGINS: `${extensionOrigin(PINNED_EXTENSION_ID)},${FIREFOX_ORIGINS},${origin}` });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('property: an Origin header is let in exactly when listed, or a lower-case installation uuid under moz-extension://*', () => {
    const uuid = fc.uuid().map((id) => `moz-extension://${id}`);
    const near = fc.tuple(uuid, fc.constantFrom('', '/', ' ', 'x', ':80'), fc.boolean()).map(([origin, suffix, upper]) => (upper ? origin.toUpperCase() : origin) + suffix);
    const header = fc.oneof(uuid, near, fc.constant(FIREFOX_ORIGINS), fc.constant(extensionOrigin(PINNED_EXTENSION_ID)), fc.webUrl(), fc.string());
    fc.assert(fc.property(fc.subarray([extensionOrigin(PINNED_EXTENSION_ID), FIREFOX_ORIGINS, FIREFOX_ORIGIN]), header, (listed, origin) => {
      const installation = /^moz-extension:\/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(origin);
      const expected = origin !== FIREFOX_ORIGINS && (listed.includes(origin) || (listed.includes(FIREFOX_ORIGINS) && installation));
      expect(originMatcher(listed)(origin)).toBe(expected);
    }), { numRuns: 2_000 });
    expect(originMatcher([FIREFOX_ORIGINS])(undefined)).toBe(false);
  });
});

describe('OAuth endpoints and Agile CRM addresses', () => {
  it('AGILE_BASE_URL is not needed when every endpoint is set: the web base comes from the API base', () => {
    const mode = oauthMode({
      OAUTH_AUTHORIZE_URL: 'https://login.example.com/authorize', OAUTH_TOKEN_URL: 'https://login.example.com/token',
      OAUTH_REVOKE_URL: 'https://login.example.com/revoke', AGILE_API_BASE: 'https://acme.agilecrm.com/dev/api',
    });
    expect(mode).toMatchObject({ apiBase: 'https://acme.agilecrm.com/dev/api', webBase: 'https://acme.agilecrm.com' });
    expect(JSON.stringify(mode)).not.toContain('{domain}');
  });

  it('the API and web bases can each be set without the {domain} template', () => {
    expect(oauthMode({ AGILE_API_BASE: 'https://crm.example.com/api/v1', AGILE_WEB_BASE: 'https://app.example.com' }))
      .toMatchObject({ apiBase: 'https://crm.example.com/api/v1', webBase: 'https://app.example.com' });
    expect(oauthMode({ AGILE_API_BASE: 'https://crm.example.com/api/v1' })).toMatchObject({ webBase: 'https://crm.example.com' });
  });

  it('with OAUTH_ISSUER, endpoints not set are left to discovery, not to Agile CRM’s defaults', () => {
    const mode = oauthMode({ OAUTH_ISSUER: 'https://login.example.com/tenant/', OAUTH_TOKEN_URL: 'https://login.example.com/t' });
    expect(mode).toMatchObject({ issuer: 'https://login.example.com/tenant/', authorizeUrl: null, tokenUrl: 'https://login.example.com/t', revokeUrl: null });
  });

  it.each([
    [{ OAUTH_ISSUER: 'http://login.example.com' }, 'OAUTH_ISSUER must be an https URL (http is allowed only on loopback): http://login.example.com'],
    [{ OAUTH_ISSUER: 'https://login.example.com?tenant=1' }, /OAUTH_ISSUER must be the provider's issuer exactly, with no \{domain\}, query or fragment/],
    [{ OAUTH_ISSUER: 'https://{domain}.example.com' }, /OAUTH_ISSUER must be the provider's issuer exactly/],
    [{ OAUTH_JWKS_URI: 'not a url' }, 'OAUTH_JWKS_URI is not a URL: not a url'],
    [{ AGILE_WEB_BASE: 'https://user:pw@acme.example.com' }, /AGILE_WEB_BASE must not contain a login/],
    [{ OAUTH_SCOPE: 'openid email' }, /OAUTH_SCOPE asks for openid.*set OAUTH_ISSUER/],
    [{ OAUTH_CLIENT_AUTH: 'private_key_jwt' }, 'OAUTH_CLIENT_AUTH must be client_secret_basic or client_secret_post: private_key_jwt'],
    [{ RELAY_REFRESH_REUSE_GRACE: '-1' }, 'RELAY_REFRESH_REUSE_GRACE must be a whole number of seconds (at least 0): -1'],
  ])('%j is reported', (env, message) => {
    const found = problems({ ...CLIENT, ...env } as RelayEnv);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('the reuse grace applies to both modes', () => {
    expect(loadRelayConfig({ ...CLIENT, RELAY_REFRESH_REUSE_GRACE: '5' }).refreshReuseGrace).toBe(5);
    expect(loadRelayConfig({ ...CLIENT }).refreshReuseGrace).toBe(30);
    expect(loadRelayConfig({ RELAY_MODE: 'bridge', RELAY_SEAL_KEY: 'A'.repeat(43), RELAY_REFRESH_REUSE_GRACE: '0' }).refreshReuseGrace).toBe(0);
  });
});

describe('scope and authorization parameters', () => {
  it('reads OAUTH_SCOPE and the parameters providers require', () => {
    const mode = oauthMode({
      OAUTH_ISSUER: 'https://login.example.com', OAUTH_SCOPE: ' openid  email\toffline_access email ', OAUTH_PROMPT: 'consent',
      OAUTH_AUDIENCE: 'https://api.example.com', OAUTH_RESOURCE: 'https://crm.example.com/', OAUTH_ACCESS_TYPE: 'offline',
      OAUTH_AUTHORIZE_PARAMS: 'acr_values=urn%3Amfa&ui_locales=en+fr',
    });
    expect(mode.scope).toEqual(['openid', 'email', 'offline_access']);
    expect(mode.authorizationParameters).toEqual({
      prompt: 'consent', audience: 'https://api.example.com', resource: 'https://crm.example.com/', access_type: 'offline', acr_values: 'urn:mfa', ui_locales: 'en fr',
    });
  });

  it.each([
    [{ OAUTH_SCOPE: 'read "write"' }, /OAUTH_SCOPE: "\\"write\\"" is not a scope token/],
    [{ OAUTH_PROMPT: 'none' }, /OAUTH_PROMPT=none would never show the sign-in page/],
    [{ OAUTH_PROMPT: 'consent always' }, 'OAUTH_PROMPT must be space-separated values among login, consent, select_account, create: consent always'],
    [{ OAUTH_RESOURCE: 'https://api.example.com/#x' }, /OAUTH_RESOURCE must be an absolute URI without a fragment/],
    [{ OAUTH_RESOURCE: 'api' }, /OAUTH_RESOURCE must be an absolute URI/],
    [{ OAUTH_ACCESS_TYPE: 'forever' }, 'OAUTH_ACCESS_TYPE must be offline or online: forever'],
    [{ OAUTH_AUTHORIZE_PARAMS: 'scope=openid' }, 'OAUTH_AUTHORIZE_PARAMS may not set scope: set OAUTH_SCOPE.'],
    [{ OAUTH_AUTHORIZE_PARAMS: 'prompt=login' }, 'OAUTH_AUTHORIZE_PARAMS may not set prompt: set OAUTH_PROMPT.'],
    [{ OAUTH_AUTHORIZE_PARAMS: 'redirect_uri=https://evil.example/' }, /may not set redirect_uri/],
    [{ OAUTH_AUTHORIZE_PARAMS: 'response_mode=form_post' }, /may not set response_mode: the answer must come back/],
    [{ OAUTH_AUTHORIZE_PARAMS: 'a=1&a=2' }, 'OAUTH_AUTHORIZE_PARAMS names a twice.'],
    [{ OAUTH_AUTHORIZE_PARAMS: 'login_hint' }, 'OAUTH_AUTHORIZE_PARAMS: login_hint has no value (write login_hint=value).'],
    [{ OAUTH_AUTHORIZE_PARAMS: 'a%ZZ=1' }, /is not valid percent-encoding/],
    [{ OAUTH_AUTHORIZE_PARAMS: 'bad name=1' }, /"bad name" is not a parameter name/],
  ])('%j is reported', (env, message) => {
    const found = problems({ ...CLIENT, ...env } as RelayEnv);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('every problem is listed at once', () => {
    try {
      loadRelayConfig({ OAUTH_SCOPE: 'openid', OAUTH_PROMPT: 'none', RELAY_ALLOWED_REDIRECT_URIS: REDIRECT.slice(0, -1), AGILE_API_BASE: 'ftp://x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RelayConfigError);
      expect((error as RelayConfigError).problems).toHaveLength(6);
    }
  });

  const token = fc.stringMatching(/^[\x21\x23-\x5b\x5d-\x7e]{1,20}$/);
  it('property: parseScope keeps every scope token, once, in order, and reports anything else', () => {
    fc.assert(fc.property(fc.array(fc.oneof(token, fc.string({ maxLength: 10 }))), fc.constantFrom(' ', '  ', '\t', '\n'), (parts, separator) => {
      const { scope, problems: found } = parseScope(parts.join(separator));
      const words = parts.join(separator).split(/[ \t\r\n]+/).filter(Boolean);
      const valid = words.filter((word) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(word));
      expect(scope).toEqual([...new Set(valid)]);
      expect(found).toHaveLength(words.length - valid.length);
    }));
  });

  it('property: parseAuthorizeParams round-trips any valid set of parameters, and never throws on any input', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).filter((candidate) => !['scope', 'prompt', 'state', 'nonce', 'domain', 'resource', 'audience', 'request'].includes(candidate) && !/^(response_|client_|redirect_|code_|access_type|request_uri)/.test(candidate));
    fc.assert(fc.property(fc.dictionary(name, fc.string({ minLength: 1, maxLength: 20 }), { maxKeys: 5 }), (params) => {
      const encoded = new URLSearchParams(params).toString();
      expect(parseAuthorizeParams(encoded)).toEqual({ params, problems: [] });
    }));
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (input) => {
      const { params, problems: found } = parseAuthorizeParams(input);
      for (const [key, value] of Object.entries(params)) {
        expect(key).toMatch(/^[A-Za-z0-9._-]+$/);
        expect(value.length).toBeGreaterThan(0);
      }
      for (const problem of found) expect(problem).toMatch(/^OAUTH_AUTHORIZE_PARAMS/);
    }), { numRuns: 2_000 });
  });
});
