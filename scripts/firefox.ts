/**
 * Drives the built Firefox extension (dist-firefox/) in Firefox with puppeteer over WebDriver BiDi: launch with the
 * add-on installed, reach its background page and its real toolbar popup, configure it, press its shortcut. The
 * Firefox counterpart of extension.ts, used by the end-to-end tests.
 *
 * What BiDi does not reach, and how this gets there (each measured with firefox-esr 153):
 * - The background page and the toolbar popup are not BiDi browsing contexts. An extension tab (the options page,
 *   kept open as `helper`) reaches them as the extension's own pages do: `runtime.getBackgroundPage()` and
 *   `extension.getViews({ type: 'popup' })`, same process, same origin.
 * - `action.openPopup()` needs a user action in release Firefox and opens only in the focused window. A puppeteer
 *   click in the helper tab is one: its handler makes the page's tab active and opens the popup, both before it
 *   returns. The popup is the real one, showing the real page's tab.
 * - Navigating to moz-extension:// needs `--remote-allow-system-access`; the navigation is never reported as done
 *   (page.url() stays about:blank), so pages are waited for by their content.
 * - Keyboard shortcuts are the browser window's, which BiDi's synthesized keys never reach (headless or not). With
 *   `display: true` Firefox runs in a private Xvfb server and `pressKeys` sends real X key events with xdotool.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import type { Settings } from '../src/shared/settings';
import { FIREFOX_ADDON_ID } from '../src/shared/extension-id';
import { pressXKeys, startXvfb } from './xvfb';

export const DIST_FIREFOX = path.resolve(import.meta.dirname, '..', 'dist-firefox');

/** The add-on's uuid in the test profile, pinned by preference: its pages are then at a known moz-extension:// URL. */
export const TEST_UUID = '3d9b9a4a-1f7c-4a61-9b1a-8a2f0c3e5d11';

const SYSTEM = ['/usr/bin/firefox-esr', '/usr/bin/firefox', '/Applications/Firefox.app/Contents/MacOS/firefox'];

/** Finds a Firefox: $FIREFOX_PATH, else a system one; otherwise says how to get one. */
export function findFirefox(): string {
  const named = process.env.FIREFOX_PATH;
  if (named) {
    if (existsSync(named)) return named;
    throw new Error(`The browser named by FIREFOX_PATH does not exist: ${named}`);
  }
  const found = SYSTEM.find((candidate) => existsSync(candidate));
  if (!found) throw new Error('No Firefox was found. Install one (Debian/Ubuntu: sudo apt-get install -y firefox-esr) or set FIREFOX_PATH.');
  return found;
}


/** A handle on a page Firefox does not expose over BiDi (the background page, the popup): functions run in the helper tab and get its window. */
export interface ExtensionView {
  /** Runs `fn` with the view's window; its arguments and result must be JSON. */
  evaluate<R, A extends unknown[]>(fn: (view: Window & typeof globalThis, ...args: A) => R, ...args: A): Promise<Awaited<R>>;
  /** Polls `fn` until it returns something truthy (and returns that), or fails after `timeoutMs`. */
  waitFor<R, A extends unknown[]>(fn: (view: Window & typeof globalThis, ...args: A) => R, options?: { timeoutMs?: number; args?: A; what?: string }): Promise<NonNullable<Awaited<R>>>;
}

export interface FirefoxExtension {
  browser: Browser;
  /** moz-extension://<uuid> */
  origin: string;
  popupPath: string;
  optionsPath: string;
  /** An extension tab (the options page) the harness acts from. */
  helper: Page;
  background: ExtensionView;
  /** The toolbar popup while it is open. */
  popup: ExtensionView;
  /** The sidebar (Chrome's side panel, `sidebar_action` in Firefox's manifest) while it is open. */
  sidebar: ExtensionView;
  /** The X display Firefox runs on (`display: true`), else null. */
  display: string | null;
  close(): Promise<void>;
}

export interface FirefoxLaunchOptions {
  executablePath?: string;
  /** Run with a window on a private Xvfb display (for shortcuts); headless otherwise. */
  display?: boolean;
  dist?: string;
  /** Idle time after which Firefox suspends the event page. */
  backgroundIdleMs?: number;
}

/** Reads a view's answer: the helper evaluates `source` (an expression yielding the view's window) and calls `fn` on it. */
function viewOf(helper: Page, source: string, name: string): ExtensionView {
  const evaluate = async <R, A extends unknown[]>(fn: (view: Window & typeof globalThis, ...args: A) => R, ...args: A): Promise<Awaited<R>> =>
    (await helper.evaluate(`(async () => {
      const view = await (${source});
      if (!view) throw new Error('The ${name} is not open.');
      return (${fn.toString()})(view, ...${JSON.stringify(args)});
    })()`)) as Awaited<R>;
  return {
    evaluate,
    async waitFor(fn, options = {}) {
      const deadline = Date.now() + (options.timeoutMs ?? 15_000);
      let last: unknown;
      for (;;) {
        try {
          const value = await evaluate(fn, ...(options.args ?? ([] as unknown as NonNullable<typeof options.args>)));
          if (value) return value as NonNullable<typeof value>;
        } catch (error) {
          last = error;
        }
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${options.what ?? `a condition in the ${name}`}${last ? ` (${String(last)})` : ''}.`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/**
 * Launches Firefox with the built add-on installed at TEST_UUID and its options page open as the helper tab.
 *
 * @example const ext = await launchFirefox(); await configureFirefox(ext, settings); … await ext.close();
 */
export async function launchFirefox(options: FirefoxLaunchOptions = {}): Promise<FirefoxExtension> {
  const dist = options.dist ?? DIST_FIREFOX;
  if (!existsSync(path.join(dist, 'manifest.json'))) throw new Error(`${dist} has no build: run \`npm run build:firefox\` first.`);
  const executablePath = options.executablePath ?? findFirefox();
  const manifest = JSON.parse(await readFile(path.join(dist, 'manifest.json'), 'utf8')) as { action: { default_popup: string }; options_ui: { page: string } };
  const profile = await mkdtemp(path.join(os.tmpdir(), 'agile-crm-firefox-'));
  const xvfb = options.display ? await startXvfb() : null;
  let browser: Browser | null = null;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    xvfb?.stop();
    await rm(profile, { recursive: true, force: true });
  };
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath,
      headless: !xvfb,
      userDataDir: profile,
      args: ['--remote-allow-system-access', ...(xvfb ? ['--width=1280', '--height=900'] : [])],
      ...(xvfb ? { env: { ...process.env, DISPLAY: xvfb.display } } : {}),
      defaultViewport: null,
      extraPrefsFirefox: {
        'extensions.webextensions.uuids': JSON.stringify({ [FIREFOX_ADDON_ID]: TEST_UUID }),
        // The event page is suspended after this much idle time (Firefox's default: 30 s), so the tests meet the
        // restarts reps meet, every few steps.
        'extensions.background.idle.timeout': options.backgroundIdleMs ?? 30_000,
        // A closed network: no update checks, telemetry or remote settings traffic.
        'app.update.enabled': false,
        'datareporting.policy.dataSubmissionEnabled': false,
        'browser.shell.checkDefaultBrowser': false,
      },
    });
    const id = await browser.installExtension(dist);
    if (id !== FIREFOX_ADDON_ID) throw new Error(`Firefox installed the add-on as ${id}, not ${FIREFOX_ADDON_ID}.`);
    const origin = `moz-extension://${TEST_UUID}`;
    const helper = await browser.newPage();
    await helper.goto(`${origin}/${manifest.options_ui.page}`, { timeout: 1_000 }).catch(() => undefined);
    await helper.waitForSelector('form', { timeout: 15_000 });
    const ext: FirefoxExtension = {
      browser,
      origin,
      popupPath: manifest.action.default_popup,
      optionsPath: manifest.options_ui.page,
      helper,
      background: viewOf(helper, 'browser.runtime.getBackgroundPage()', 'background page'),
      popup: viewOf(helper, "browser.extension.getViews({ type: 'popup' })[0]", 'popup'),
      sidebar: viewOf(helper, "browser.extension.getViews({ type: 'sidebar' })[0]", 'sidebar'),
      display: xvfb?.display ?? null,
      close,
    };
    return ext;
  } catch (error) {
    await close();
    throw error;
  }
}

/** Saves the extension's settings the way the options page does. */
export async function configureFirefox(ext: FirefoxExtension, settings: Settings): Promise<void> {
  await ext.helper.evaluate((value) => chrome.storage.local.set({ settings: value }), settings);
}

/** Closes the toolbar popup if it is open (Firefox opens no second one over it). */
export async function closeFirefoxPopup(ext: FirefoxExtension): Promise<void> {
  await ext.helper.evaluate(() => chrome.extension.getViews({ type: 'popup' }).forEach((view) => view.close()));
  await ext.background.waitFor(() => chrome.extension.getViews({ type: 'popup' }).length === 0, { what: 'the popup to close' });
}

/**
 * The tab showing `pageUrl` (opened if none does), and its id as the extension knows it: the active tab once the
 * page is brought to front (the extension sees the URLs of its hosts only, not of file:// or browser pages).
 */
export async function firefoxTab(ext: FirefoxExtension, pageUrl: string): Promise<{ page: Page; tabId: number }> {
  const pages = await ext.browser.pages();
  let page = pages.find((candidate) => candidate.url() === pageUrl);
  if (!page) {
    page = await ext.browser.newPage();
    await page.goto(pageUrl, { waitUntil: 'domcontentloaded' });
  }
  await page.bringToFront();
  const tabId = await ext.background.waitFor(async () => (await chrome.tabs.query({ active: true, lastFocusedWindow: true }))[0]?.id, { what: `the tab showing ${pageUrl}` });
  return { page, tabId };
}

/**
 * Opens the toolbar popup on `pageUrl` with `action.openPopup()` inside a click, as a user action, and waits until
 * it has painted its first view after "Loading…". Returns the popup's view.
 */
export async function openFirefoxPopup(ext: FirefoxExtension, pageUrl: string): Promise<ExtensionView> {
  await closeFirefoxPopup(ext);
  const { tabId } = await firefoxTab(ext, pageUrl);
  await ext.helper.bringToFront();
  await ext.helper.evaluate((tab) => {
    document.body.addEventListener('click', () => {
      // Both before the handler returns: the user action lasts only that long, and the parent process handles the
      // two in order, so the popup opens over the page's tab.
      void chrome.tabs.update(tab, { active: true });
      chrome.action.openPopup().catch((error: Error) => Object.assign(window, { popupError: error.message }));
    }, { once: true });
  }, tabId);
  await ext.helper.click('h1');
  // Past "Loading…" (its placeholder is a status line): the sign-in panel, the page's contacts, or what went wrong.
  await ext.popup.waitFor(({ document }) => !!document.querySelector('#app > :not([role=status])'), { what: 'the popup to paint' }).catch(async (error: unknown) => {
    const reason = await ext.helper.evaluate(() => (window as { popupError?: string }).popupError);
    throw reason ? new Error(`action.openPopup() failed: ${reason}`) : error;
  });
  return ext.popup;
}

/**
 * Clicks Sign in in the popup, waits for the consent page that `launchWebAuthFlow` opens (a URL starting with
 * `consentUrl`) and lets `decide` act on it.
 */
export async function signInThroughFirefox(ext: FirefoxExtension, popup: ExtensionView, consentUrl: string, decide: (consent: Page) => Promise<void>): Promise<void> {
  const consentTarget = ext.browser.waitForTarget((target) => target.url().startsWith(consentUrl), { timeout: 15_000 });
  await popup.waitFor(({ document }) => {
    const button = document.querySelector<HTMLButtonElement>('.signin button.btn-primary');
    button?.click();
    return !!button;
  }, { what: 'the Sign in button' });
  const consent = (await (await consentTarget).asPage())!;
  await consent.waitForSelector('form, main');
  await decide(consent);
}

/** Waits until the extension's storage holds a grant (sign-in finished). */
export async function waitForFirefoxSignIn(ext: FirefoxExtension): Promise<void> {
  await ext.background.waitFor(async () => !!(await chrome.storage.local.get('grant')).grant, { what: 'the sign-in to be stored' });
}

/** Everything the extension keeps, from both storage areas, as one JSON string. */
export function dumpFirefoxStorage(ext: FirefoxExtension): Promise<string> {
  return ext.helper.evaluate(async () => JSON.stringify({ local: await chrome.storage.local.get(null), session: await chrome.storage.session.get(null) }));
}

/**
 * Real key presses (xdotool's X keyboard events, e.g. `alt+shift+a`) into Firefox's focused window, on its Xvfb
 * display. Needs `display: true`.
 */
export async function pressKeys(ext: FirefoxExtension, page: Page, keys: string): Promise<void> {
  if (!ext.display) throw new Error('pressKeys needs Firefox on a display: launchFirefox({ display: true }).');
  await page.bringToFront();
  await pressXKeys(ext.display, [keys], 'firefox');
}
