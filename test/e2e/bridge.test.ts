/**
 * A real Agile CRM account today: the same extension and sign-in button, with the relay in API-key bridge mode
 * in front of the sandbox's REST API (which checks the seeded users' keys exactly as Agile does).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dumpStorage, signInThrough, waitForSignIn } from '../../scripts/extension';
import { cardNames, clearContactCache, createWorld, type World } from './setup';

let world: World;
afterEach(async () => {
  await world?.close();
});

describe('sign-in through the API-key bridge', () => {
  it('a seeded user’s API key → the popup shows the demo page’s contacts; the key is nowhere in the browser or the logs', async () => {
    world = await createWorld({ mode: 'bridge' });
    await world.signIn();
    const popup = await world.popup();
    expect(await cardNames(popup)).toHaveLength(world.stack.sandbox.state.seed.demoKnownEmails.length);
    expect(await popup.$eval('.user', (user) => user.textContent)).toBe(world.stack.sandbox.state.users[0]!.email);
    // "Open in Agile CRM" goes to the account's web app, not to the relay.
    const open = await popup.$eval('a.open', (link) => link.getAttribute('href'));
    expect(open).toMatch(new RegExp(`^${world.stack.sandbox.url}/#contact/\\d{16}$`));

    const stored = await dumpStorage(world.ext);
    expect(stored).toContain(`${world.stack.relay.url}/agile`);
    const log = JSON.stringify(world.stack.relayLog);
    for (const user of world.stack.sandbox.state.users) {
      expect(stored).not.toContain(user.apiKey);
      expect(log).not.toContain(user.apiKey);
    }
  });

  it('a wrong key → the page says so; a second try with the right key signs in', async () => {
    world = await createWorld({ mode: 'bridge' });
    const user = world.stack.sandbox.state.users[1]!;
    const popup = await world.popup();
    await signInThrough(world.ext, popup, world.consentUrl, async (page) => {
      await page.locator('#domain').fill(world.stack.sandbox.state.domain);
      await page.locator('#email').fill(user.email);
      await page.locator('#api_key').fill('not-the-key');
      await Promise.all([page.waitForNavigation(), page.locator('#submit').click()]);
      expect(await page.$eval('#error', (error) => error.textContent)).toMatch(/rejected this email and API key/);
      // What the rep typed is still there, except the key.
      expect(await page.$eval('#email', (input) => (input as HTMLInputElement).value)).toBe(user.email);
      await page.locator('#api_key').fill(user.apiKey);
      await page.locator('#submit').click();
    });
    await waitForSignIn(world.ext);
    const again = await world.popup();
    expect((await cardNames(again)).length).toBeGreaterThan(0);
    expect(await again.$eval('.user', (element) => element.textContent)).toBe(user.email);
  });
});

describe('Agile CRM’s answers reach the extension through the bridge (CORS)', () => {
  // One signed-in world for the three: each test leaves the session as it found it, except the last.
  let shared: World;
  beforeAll(async () => {
    shared = await createWorld({ mode: 'bridge' });
    await shared.signIn();
  });
  afterAll(async () => {
    await shared?.close();
  });
  const state = () => shared.stack.sandbox.state;
  const errorText = async () => {
    const popup = await shared.popup();
    await popup.waitForSelector('.notice-error', { timeout: 20_000 });
    return popup.$eval('.notice-error', (notice) => notice.textContent ?? '');
  };

  it('a 429 with Retry-After: 2 → the retry waits at least 2 s, then the contacts', async () => {
    await clearContactCache(shared);
    state().faults.queue.push({ scope: 'api', kind: 'status', status: 429, retryAfter: '2', times: 1 });
    const before = state().count('requests.api');
    const started = Date.now();
    const popup = await shared.popup();
    expect(await cardNames(popup)).toHaveLength(state().seed.demoKnownEmails.length);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(state().count('requests.api') - before).toBe(2);
    await popup.close();
  });

  it('a 429 with Retry-After: 120 → exactly one request, and the rep is told when to try again', async () => {
    await clearContactCache(shared);
    state().faults.queue.push({ scope: 'api', kind: 'status', status: 429, retryAfter: '120', times: 3 });
    const before = state().count('requests.api');
    expect(await errorText()).toBe('Agile CRM is busy. Try again in 2 minutes.');
    expect(state().count('requests.api') - before).toBe(1);
    state().faults.queue.length = 0;
  });

  it('an API key changed in Agile CRM → the rep reads the relay’s words, not a generic "session has ended"', async () => {
    await clearContactCache(shared);
    const user = state().users[0]!;
    const original = user.apiKey;
    user.apiKey = 'rotated-in-agile';
    try {
      const popup = await shared.popup();
      await popup.waitForSelector('.signin .notice-error', { timeout: 20_000 });
      expect(await popup.$eval('.notice-error', (notice) => notice.textContent)).toBe(
        'Agile CRM no longer accepts the API key this session was signed in with (it was changed or removed). Sign in again with your current REST API key.',
      );
    } finally {
      user.apiKey = original;
    }
  });
});

describe('the relay on Cloudflare Workers (workerd)', () => {
  it('the extension signs in through the bridge and looks up the demo page through the Worker', async () => {
    world = await createWorld({ mode: 'bridge', runtime: 'workerd' });
    await world.signIn();
    const popup = await world.popup();
    expect(await cardNames(popup)).toHaveLength(world.stack.sandbox.state.seed.demoKnownEmails.length);
    const paths = world.stack.relayLog.map((entry) => `${entry.method} ${entry.path}`);
    expect(paths).toEqual(expect.arrayContaining(['POST /token', 'POST /agile/contacts/search/email']));
  });

  it('sign out revokes on the Worker: the refresh token is refused by the next request', async () => {
    world = await createWorld({ mode: 'bridge', runtime: 'workerd' });
    await world.signIn();
    const grant = JSON.parse(await dumpStorage(world.ext)).local.grant as { refreshToken: string };
    const popup = await world.popup();
    await cardNames(popup);
    await popup.locator('button ::-p-text(Sign out)').click();
    await popup.waitForSelector('.signin');
    const refused = await fetch(`${world.stack.relay.url}/token`, {
      method: 'POST', headers: { Origin: `chrome-extension://${world.ext.extensionId}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: grant.refreshToken, client_id: 'agile-crm-extension' }),
    });
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' });
  });
});
