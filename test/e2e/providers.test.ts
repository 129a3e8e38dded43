/**
 * Standard OAuth 2.0 / OpenID Connect providers, configured strictly, in real Chromium: the sandbox switched to
 * behave like them (a required scope, OpenID Connect with refresh tokens only for offline_access + prompt=consent,
 * no refresh tokens at all), the relay configured by a few variables as the README shows.
 */
import type { Target } from 'puppeteer';
import { afterEach, describe, expect, it } from 'vitest';
import { configure, dumpStorage, signInThrough, waitForSignIn } from '../../scripts/extension';
import { DEV_CLIENT } from '../../src/sandbox/node';
import { startRelay } from '../../src/relay/node';
import { cardNames, clearContactCache, concurrentLookups, createWorld, type World } from './setup';

let world: World;
const closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((close) => close()));
  await world?.close();
});

const errorText = async (world: World) => {
  const popup = await world.popup();
  await popup.locator('button.btn-primary').click();
  await popup.waitForSelector('.notice-error', { timeout: 15_000 });
  return popup.$eval('.notice-error', (notice) => notice.textContent ?? '');
};

describe('a provider that requires a scope', () => {
  it('without OAUTH_SCOPE the rep reads the provider’s refusal, not "cancelled"; with it (and no AGILE_BASE_URL), signed in', async () => {
    world = await createWorld({ sandbox: { requiredScopes: ['contacts.read'] } });
    const sandbox = world.stack.sandbox;
    const logged: string[] = [];
    (await world.ext.worker()).on('console', (message) => void logged.push(message.text()));
    expect(await errorText(world)).toBe('The sign-in provider refused: access_denied — This application must request the scope contacts.read.');
    expect(await dumpStorage(world.ext)).not.toMatch(/grant|token/i);
    // The worker's console says what failed, with its codes.
    expect(logged).toContain('Agile CRM sign-in: sign-in failed (rejected): The sign-in provider refused: access_denied — This application must request the scope contacts.read.');

    // Every endpoint set, the scope asked for, no AGILE_BASE_URL, no Agile CRM domain in the extension.
    const relay = await startRelay({
      RELAY_MODE: 'oauth', OAUTH_CLIENT_ID: DEV_CLIENT.clientId, OAUTH_CLIENT_SECRET: DEV_CLIENT.clientSecret, OAUTH_SCOPE: 'contacts.read',
      OAUTH_AUTHORIZE_URL: `${sandbox.url}/oauth/authorize`, OAUTH_TOKEN_URL: `${sandbox.url}/oauth/token`, OAUTH_REVOKE_URL: `${sandbox.url}/oauth/revoke`,
      AGILE_API_BASE: `${sandbox.url}/dev/api`,
    }, { port: 0, host: '127.0.0.2' });
    closing.push(relay.close);
    await configure(world.ext, { relayUrl: relay.url, agile: '' });
    await world.signIn();
    const popup = await world.popup();
    expect(await cardNames(popup)).toHaveLength(sandbox.state.seed.demoKnownEmails.length);
    expect(await popup.$eval('a.open', (link) => link.getAttribute('href'))).toMatch(new RegExp(`^${sandbox.url}/#contact/\\d+$`));
  });
});

describe('an OpenID Connect provider configured by its issuer', () => {
  it('openid offline_access with prompt=consent: signed in, "signed in as" from the ID token, refresh works', async () => {
    world = await createWorld({
      sandbox: { discovery: 'openid', refreshTokens: 'offline_access', sendIssuer: true, idTokenAlg: 'ES256' },
      relayEnv: (url) => ({
        OAUTH_ISSUER: url, OAUTH_SCOPE: 'openid email offline_access', OAUTH_PROMPT: 'consent', AGILE_BASE_URL: undefined, AGILE_API_BASE: `${url}/dev/api`,
      }),
    });
    const state = world.stack.sandbox.state;
    await world.signIn();
    const popup = await world.popup();
    expect(await cardNames(popup)).toHaveLength(state.seed.demoKnownEmails.length);
    expect(await popup.$eval('.user', (user) => user.textContent)).toBe(state.users[0]!.email);
    const stored = JSON.parse(await dumpStorage(world.ext));
    expect(stored.local.grant.refreshToken).toBeTruthy();
    expect(JSON.stringify(stored)).not.toMatch(/id_token|eyJ/);

    await clearContactCache(world);
    state.expireAccessTokens();
    const replies = await concurrentLookups(popup, state.seed.demoKnownEmails, 5);
    expect(replies.every((reply) => (reply as { ok: boolean }).ok)).toBe(true);
    expect(state.count('token.refresh_token')).toBe(1);
    expect(state.count('token.refresh_reused')).toBe(0);
  });
});

describe('a provider that issues no refresh token', () => {
  it('an expired access token → silent re-authentication (no window), lookups work; signing out revokes the access token', async () => {
    world = await createWorld({ sandbox: { refreshTokens: 'never' } });
    const state = world.stack.sandbox.state;
    await world.signIn();
    expect(JSON.parse(await dumpStorage(world.ext)).local.grant.refreshToken).toBe('');
    await clearContactCache(world);
    state.expireAccessTokens();
    const opened: string[] = [];
    const seen = (target: Target) => void opened.push(target.url());
    world.ext.browser.on('targetcreated', seen);
    world.ext.browser.on('targetchanged', seen);
    const popup = await world.popup();
    expect(await cardNames(popup)).toHaveLength(state.seed.demoKnownEmails.length);
    expect(state.count('authorize.silent')).toBe(1);
    expect(state.count('token.authorization_code')).toBe(2);
    expect(state.count('token.refresh_token')).toBe(0);
    // Only the popup opened: no consent window asked the rep anything.
    expect(opened.filter((target) => target.includes('/oauth/authorize'))).toEqual([]);

    const { accessToken } = JSON.parse(await dumpStorage(world.ext)).session.access as { accessToken: string };
    expect(state.userForAccessToken(accessToken)).not.toBeNull();
    await popup.locator('button ::-p-text(Sign out)').click();
    await popup.waitForSelector('.signin');
    expect(state.count('revoke')).toBe(1);
    expect(state.userForAccessToken(accessToken)).toBeNull();
  });

  it('when the silent attempt fails, one "sign in again", and signing in again works', async () => {
    world = await createWorld({ sandbox: { refreshTokens: 'never' } });
    const state = world.stack.sandbox.state;
    await world.signIn();
    await clearContactCache(world);
    state.expireAccessTokens();
    // The provider's sign-in session is gone (signed out there, or expired): prompt=none answers login_required.
    state.endSessions();
    const popup = await world.popup();
    await popup.waitForSelector('.signin .notice-error', { timeout: 15_000 });
    expect(await popup.$eval('.notice-error', (notice) => notice.textContent)).toBe('Your Agile CRM session has ended. Sign in again.');
    expect(state.count('authorize.silent')).toBe(1);
    await signInThrough(world.ext, popup, world.consentUrl, (consent) => consent.locator('#allow').click());
    await waitForSignIn(world.ext);
    expect(await cardNames(await world.popup())).toHaveLength(state.seed.demoKnownEmails.length);
  });
});
