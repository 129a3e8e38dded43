/**
 * The whole shape in real Chromium: launchWebAuthFlow → the sandbox's consent page → code exchanged through the
 * relay → tokens in chrome.storage → the popup shows the demo page's contacts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { configure, dumpStorage, launchWithExtension, openPopup, signInThrough } from '../../scripts/extension';
import { cardNames, concurrentLookups, createWorld, type World } from './setup';

let world: World;
afterEach(async () => {
  await world?.close();
});

const names = (world: World) => {
  const people = world.stack.sandbox.state.seed.contacts.filter((contact) => contact.type === 'PERSON');
  return [0, 1, 2, 3, 7].map((index) => {
    const properties = people[index]!.properties;
    const value = (name: string) => String(properties.find((property) => property.name === name)?.value);
    return `${value('first_name')} ${value('last_name')}`;
  });
};

describe('sign-in through launchWebAuthFlow and the token relay', () => {
  it('Allow on the consent page → the popup shows the contacts for the demo page', async () => {
    world = await createWorld();
    const before = await world.popup();
    expect(await before.$eval('button.btn-primary', (button) => button.textContent)).toBe('Sign in to Agile CRM');
    await before.close();

    await world.signIn();
    const popup = await world.popup();
    expect(await cardNames(popup)).toEqual(names(world));
    const missing = await popup.$$eval('.missing-who .muted', (items) => items.map((item) => item.textContent));
    expect(missing).toEqual(world.stack.sandbox.state.seed.demoUnknownEmails);
    expect(world.stack.sandbox.state.count('token.authorization_code')).toBe(1);
    // The code went through the relay, which added the client secret.
    expect(world.stack.relayLog.some((entry) => entry.path === '/token' && entry.status === 200)).toBe(true);
  });

  it('Deny → "Sign-in was cancelled", nothing stored', async () => {
    world = await createWorld();
    const popup = await world.popup();
    await signInThrough(world.ext, popup, world.consentUrl, (consent) => consent.locator('#deny').click());
    await popup.waitForSelector('.notice-error');
    expect(await popup.$eval('.notice-error', (notice) => notice.textContent)).toBe('Sign-in was cancelled.');
    expect(await dumpStorage(world.ext)).not.toMatch(/grant|access|token/i);
    expect(world.stack.sandbox.state.count('token.authorization_code')).toBe(0);
  });

  it('closing the consent window → "Sign-in was cancelled", nothing stored', async () => {
    world = await createWorld();
    const popup = await world.popup();
    await signInThrough(world.ext, popup, world.consentUrl, (consent) => consent.close());
    await popup.waitForSelector('.notice-error');
    expect(await popup.$eval('.notice-error', (notice) => notice.textContent)).toBe('Sign-in was cancelled.');
    expect(await dumpStorage(world.ext)).not.toMatch(/grant|access|token/i);
  });

  it('the service worker is terminated after sign-in → still signed in, lookups work', async () => {
    world = await createWorld();
    await world.signIn();
    const worker = await world.ext.worker();
    await worker.close();
    const popup = await world.popup();
    expect(await cardNames(popup)).toEqual(names(world));
    expect(world.stack.sandbox.state.count('token.refresh_token')).toBe(0);
  });

  it('a browser restart → still signed in: the refresh token was on disk, the access token was not', async () => {
    const profile = await mkdtemp(path.join(os.tmpdir(), 'agile-crm-restart-'));
    try {
      world = await createWorld({ userDataDir: profile });
      await world.signIn();
      await world.ext.close();
      const again = await launchWithExtension({ executablePath: inject('browserPath'), userDataDir: profile });
      world.ext = again;
      await configure(again, { relayUrl: world.stack.relay.url, agile: world.stack.sandbox.url });
      const stored = JSON.parse(await dumpStorage(again));
      expect(stored.local.grant.refreshToken).toBeTruthy();
      expect(stored.session).toEqual({});
      const popup = await openPopup(again, world.demoUrl);
      expect(await cardNames(popup)).toEqual(names(world));
      expect(world.stack.sandbox.state.count('token.refresh_token')).toBe(1);
    } finally {
      await world.close();
      await rm(profile, { recursive: true, force: true });
    }
  });

  it('an access token past its lifetime → one refresh for 10 lookups at once', async () => {
    world = await createWorld({ sandbox: { accessTokenTtl: 2 } });
    await world.signIn();
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const popup = await world.popup();
    await cardNames(popup);
    const refreshes = world.stack.sandbox.state.count('token.refresh_token');
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const replies = await concurrentLookups(popup, world.stack.sandbox.state.seed.demoKnownEmails, 10);
    expect(replies.every((reply) => (reply as { ok: boolean }).ok)).toBe(true);
    expect(world.stack.sandbox.state.count('token.refresh_token') - refreshes).toBe(1);
  });

  it('an access token the server stopped accepting (401) → one refresh for 10 lookups at once', async () => {
    world = await createWorld();
    await world.signIn();
    const popup = await world.popup();
    await cardNames(popup);
    world.stack.sandbox.state.expireAccessTokens();
    const unauthorized = world.stack.sandbox.state.count('api.unauthorized');
    const replies = await concurrentLookups(popup, world.stack.sandbox.state.seed.demoKnownEmails, 10);
    expect(replies.every((reply) => (reply as { ok: boolean }).ok)).toBe(true);
    expect(world.stack.sandbox.state.count('token.refresh_token')).toBe(1);
    // At least the first lookup met the 401; the others waited for the one refresh or met a 401 and joined it.
    expect(world.stack.sandbox.state.count('api.unauthorized') - unauthorized).toBeGreaterThanOrEqual(1);
  });

  it('sign out → revoked at the sandbox through the relay, no token left, the next lookup asks to sign in', async () => {
    world = await createWorld();
    await world.signIn();
    const popup = await world.popup();
    await cardNames(popup);
    const stored = await dumpStorage(world.ext);
    expect(stored).toMatch(/refreshToken/);

    await popup.locator('button ::-p-text(Sign out)').click();
    await popup.waitForSelector('.signin');
    expect(world.stack.sandbox.state.count('revoke')).toBe(1);
    expect(world.stack.sandbox.state.grantCount()).toEqual({ live: 0, revoked: 1 });
    const after = await dumpStorage(world.ext);
    expect(after).not.toMatch(/refreshToken|accessToken|"grant"|"access"/);
    expect(after).not.toMatch(/contact:/);

    const [reply] = await concurrentLookups(popup, world.stack.sandbox.state.seed.demoKnownEmails, 1);
    expect(reply).toMatchObject({ ok: false, error: { code: 'signed_out' } });
  });
});
