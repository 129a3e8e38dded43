/**
 * One end-to-end world per test: sandbox + relay on fresh loopback ports, and Chromium with the built extension
 * in a fresh profile, configured to use them.
 */
import type { Page } from 'puppeteer';
import { inject } from 'vitest';
import { startDevStack, type DevStack, type DevStackOptions } from '../../scripts/dev-stack';
import { closeAfterLookup, configure, launchWithExtension, openPopup, signInThrough, waitForSignIn, type ExtensionBrowser } from '../../scripts/extension';

export interface World {
  stack: DevStack;
  ext: ExtensionBrowser;
  demoUrl: string;
  /** Where launchWebAuthFlow's window lands: the sandbox's consent page (OAuth) or the relay's form (bridge). */
  consentUrl: string;
  popup(): Promise<Page>;
  /** Signs in the happy way (Allow, or the bridge form with the demo user's key) and waits until it is stored. */
  signIn(): Promise<void>;
  close(): Promise<void>;
}

export async function createWorld(options: DevStackOptions & { userDataDir?: string; browserArgs?: string[] } = {}): Promise<World> {
  const stack = await startDevStack(options);
  let ext: ExtensionBrowser;
  try {
    ext = await launchWithExtension({ executablePath: inject('browserPath'), userDataDir: options.userDataDir, args: options.browserArgs });
    await configure(ext, { relayUrl: stack.relay.url, agile: stack.sandbox.url });
  } catch (error) {
    await stack.close();
    throw error;
  }
  const demoUrl = `${stack.sandbox.url}/demo`;
  const consentUrl = stack.mode === 'oauth' ? `${stack.sandbox.url}/oauth/authorize` : `${stack.relay.url}/authorize`;
  const user = stack.sandbox.state.users[0]!;
  let closed = false;
  const world: World = {
    stack,
    ext,
    demoUrl,
    consentUrl,
    popup: () => openPopup(world.ext, demoUrl),
    async signIn() {
      const popup = await world.popup();
      await signInThrough(world.ext, popup, consentUrl, async (consent) => {
        if (stack.mode === 'bridge') {
          await consent.locator('#domain').fill(stack.sandbox.state.domain);
          await consent.locator('#email').fill(user.email);
          await consent.locator('#api_key').fill(user.apiKey);
          await consent.locator('#submit').click();
        } else {
          await consent.locator('#allow').click();
        }
      });
      await waitForSignIn(world.ext);
      await closeAfterLookup(popup);
    },
    /** Idempotent; closes whichever browser `world.ext` is now (a test may relaunch it). */
    async close() {
      if (closed) return;
      closed = true;
      await world.ext.close();
      await stack.close();
    },
  };
  return world;
}

/** Empties the extension's contact cache, so the next popup must ask Agile CRM (sign-in leaves it warm). */
/**
 * What a click on a context-menu item does (CDP cannot click a context menu): the worker's own handler, called with
 * `info` on the demo tab, and the popup it opens.
 */
export async function popupFromMenu(world: World, info: Record<string, string>): Promise<Page> {
  const page = (await world.ext.browser.pages()).find((candidate) => candidate.url() === world.demoUrl)!;
  await page.bringToFront();
  const popupUrl = `chrome-extension://${world.ext.extensionId}/${world.ext.popupPath}`;
  const worker = await world.ext.worker();
  const [target] = await Promise.all([
    world.ext.browser.waitForTarget((candidate) => candidate.url().startsWith(popupUrl), { timeout: 10_000 }),
    worker.evaluate(async (clicked) => {
      const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
      await (globalThis as unknown as { handleMenuClick(info: unknown, tab: unknown): Promise<void> }).handleMenuClick(clicked, tab);
    }, info),
  ]);
  return target.asPage();
}

export async function clearContactCache(world: World): Promise<void> {
  const worker = await world.ext.worker();
  await worker.evaluate(async () => {
    const keys = Object.keys(await chrome.storage.local.get(null)).filter((key) => key.startsWith('contact:'));
    await chrome.storage.local.remove(keys);
  });
}

/** The names on the popup's contact cards, once the lookup has finished (not the cache's first answer). */
export async function cardNames(popup: Page): Promise<string[]> {
  await popup.waitForFunction(() => /in Agile CRM/.test(document.querySelector('.status')?.textContent ?? '')
    && !/Refreshing/.test(document.querySelector('.status button')?.textContent ?? ''), { timeout: 15_000 });
  return popup.$$eval('article.card .name', (names) => names.map((name) => name.textContent ?? ''));
}

/** Sends the same lookup `times` times at once from an extension page, as several popups or menus would. */
export async function concurrentLookups(page: Page, emails: string[], times: number): Promise<unknown[]> {
  return page.evaluate(
    (list, count) => Promise.all(Array.from({ length: count }, () =>
      chrome.runtime.sendMessage({ type: 'lookup', emails: list.map((email) => ({ email, name: '' })), source: 'agile' }))),
    emails,
    times,
  );
}
