/**
 * When Agile CRM, the network or the service worker misbehave: bounded retries, clear words, no loops, and a
 * popup that recovers by itself. The sandbox's fault switches make each case happen on loopback.
 */
import type { Page } from 'puppeteer';
import { afterEach, describe, expect, it } from 'vitest';
import { dumpStorage } from '../../scripts/extension';
import { cardNames, clearContactCache, createWorld, type World } from './setup';

let world: World;
afterEach(async () => {
  await world?.close();
});

const state = () => world.stack.sandbox.state;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
/** The first notice the popup shows, which must be an error: any other notice fails at once, saying what it was. */
const errorText = async (popup: Page) => {
  const notice = await popup.waitForSelector('.notice', { timeout: 20_000 });
  const { kind, text } = await notice!.evaluate((element) => ({ kind: element.className, text: element.textContent ?? '' }));
  expect(`${kind}: ${text}`).toMatch(/^notice notice-error: /);
  return text;
};

describe('Agile CRM failing', () => {
  it('5xx: three tries in all, then words — no retry storm', async () => {
    world = await createWorld();
    await world.signIn();
    await clearContactCache(world);
    state().faults.queue.push({ scope: 'api', kind: 'status', status: 503, times: 1_000 });
    const before = state().count('requests.api');
    const popup = await world.popup();
    expect(await errorText(popup)).toBe('Agile CRM is having trouble (error 503). Try again in a moment.');
    await sleep(1_500);
    expect(state().count('requests.api') - before).toBe(3);
  });

  it('429 with Retry-After: waits as told, then succeeds', async () => {
    world = await createWorld();
    await world.signIn();
    await clearContactCache(world);
    state().faults.queue.push({ scope: 'api', kind: 'status', status: 429, retryAfter: '1', times: 1 });
    const before = state().count('requests.api');
    const started = Date.now();
    const popup = await world.popup();
    expect(await cardNames(popup)).toHaveLength(state().seed.demoKnownEmails.length);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(state().count('requests.api') - before).toBe(2);
  });

  it('a dropped connection is retried', async () => {
    world = await createWorld();
    await world.signIn();
    await clearContactCache(world);
    state().faults.queue.push({ scope: 'api', kind: 'drop', times: 1 });
    const popup = await world.popup();
    expect(await cardNames(popup)).toHaveLength(state().seed.demoKnownEmails.length);
    expect(state().count('fault.drop')).toBe(1);
  });

  it('no answer within 8 seconds: the rep is told, once', async () => {
    world = await createWorld();
    await world.signIn();
    await clearContactCache(world);
    state().faults.latency.api = 9_000;
    const before = state().count('requests.api');
    const popup = await world.popup();
    expect(await errorText(popup)).toBe('Agile CRM did not answer within 8 seconds. Try again.');
    expect(state().count('requests.api') - before).toBe(1);
    state().faults.latency.api = 0;
  });
});

describe('sessions ending', () => {
  it('a refused refresh token: one "sign in again", no refresh loop, settings kept', async () => {
    world = await createWorld();
    await world.signIn();
    await clearContactCache(world);
    state().revokeAllGrants();
    state().expireAccessTokens();
    const popup = await world.popup();
    await popup.waitForSelector('.signin .notice-error');
    expect(await popup.$eval('.notice-error', (notice) => notice.textContent)).toBe('Your Agile CRM session has ended. Sign in again.');
    await popup.close();
    const again = await world.popup();
    await again.waitForSelector('.signin');
    await sleep(500);
    expect(state().count('token.refresh_token')).toBe(1);
    const stored = JSON.parse(await dumpStorage(world.ext));
    expect(stored.local.settings).toEqual({ relayUrl: world.stack.relay.url, agile: world.stack.sandbox.url });
    expect(stored.local.grant).toBeUndefined();
  });

  it('popup and context-menu lookups at once with an expired token: one refresh', async () => {
    world = await createWorld();
    await world.signIn();
    await clearContactCache(world);
    state().expireAccessTokens();
    // The context menu's lookup arrives from another extension page while the popup does its own.
    const other = await world.ext.browser.newPage();
    await other.goto(`chrome-extension://${world.ext.extensionId}/${world.ext.optionsPath}`);
    const email = state().seed.demoKnownEmails[0]!;
    const [popup, menu] = await Promise.all([
      world.popup(),
      other.evaluate((address) => chrome.runtime.sendMessage({ type: 'lookup', emails: [{ email: address, name: '' }], source: 'agile' }), email),
    ]);
    expect(menu).toMatchObject({ ok: true });
    await cardNames(popup);
    expect(state().count('token.refresh_token')).toBe(1);
  });
});

describe('the service worker terminated', () => {
  it('mid-lookup: the popup recovers by itself', async () => {
    world = await createWorld();
    await world.signIn();
    await clearContactCache(world);
    state().faults.latency.api = 1_500;
    const before = state().count('requests.api');
    const popupPromise = world.popup();
    await until(() => state().count('requests.api') > before);
    await (await world.ext.worker()).close();
    state().faults.latency.api = 0;
    const popup = await popupPromise;
    expect(await cardNames(popup)).toHaveLength(state().seed.demoKnownEmails.length);
  });

  /** Kills the worker while its refresh is in flight: the provider rotates, the answer never reaches storage. */
  async function killMidRefresh() {
    await world.signIn();
    await clearContactCache(world);
    state().expireAccessTokens();
    state().faults.latency.token = 1_500;
    const popupPromise = world.popup();
    // The refresh request is in flight (it reached the sandbox, whose answer will come too late).
    await until(() => state().count('requests.token') === 2);
    await (await world.ext.worker()).close();
    return popupPromise;
  }

  it('mid-refresh, strict provider: the relay gives the lost answer again — still signed in, and the provider saw no reuse', async () => {
    world = await createWorld();
    const popup = await killMidRefresh();
    expect(await cardNames(popup)).toHaveLength(state().seed.demoKnownEmails.length);
    expect(state().count('token.refresh_token')).toBe(1);
    expect(state().count('token.refresh_reused')).toBe(0);
    expect(state().grantCount()).toEqual({ live: 1, revoked: 0 });
  });

  it('mid-refresh, with the relay’s grace off but a reuse grace on the provider: the popup recovers by itself', async () => {
    world = await createWorld({ sandbox: { refreshReuseGrace: 10 }, relayEnv: { RELAY_REFRESH_REUSE_GRACE: '0' } });
    const popup = await killMidRefresh();
    expect(await cardNames(popup)).toHaveLength(state().seed.demoKnownEmails.length);
    expect(state().grantCount()).toEqual({ live: 1, revoked: 0 });
  });

  it('mid-refresh, with no grace anywhere (strict rotation end to end): one clear "sign in again"', async () => {
    world = await createWorld({ relayEnv: { RELAY_REFRESH_REUSE_GRACE: '0' } });
    const popup = await killMidRefresh();
    await popup.waitForSelector('.signin .notice-error', { timeout: 15_000 });
    expect(await popup.$eval('.notice-error', (notice) => notice.textContent)).toBe('Your Agile CRM session has ended. Sign in again.');
    expect(state().grantCount()).toEqual({ live: 0, revoked: 1 });
  });
});
