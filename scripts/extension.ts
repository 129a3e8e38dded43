/**
 * Drives the built extension (dist/) in Chromium with puppeteer: launch with the extension installed, reach its
 * service worker, configure it, open its popup on a page, sign in through a consent page. Used by `npm start`,
 * the end-to-end tests and the benchmarks, so all three exercise the same real paths.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type HTTPRequest, type Page, type Target, type WebWorker } from 'puppeteer';
import type { Settings } from '../src/shared/settings';
import { CHROMIUM_ARGS, findBrowser } from './browser';
import type { DevStack } from './dev-stack';

export const DIST = path.resolve(import.meta.dirname, '..', 'dist');

export interface ExtensionBrowser {
  browser: Browser;
  extensionId: string;
  /** The popup's page inside the extension, from the built manifest. */
  popupPath: string;
  optionsPath: string;
  /** The running service worker (started again by Chromium if it was terminated). */
  worker(): Promise<WebWorker>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  executablePath?: string;
  headless?: boolean;
  /** Reuse a profile (to test a browser restart); by default a fresh temporary one, deleted on close. */
  userDataDir?: string;
  /** The built extension to load (default dist/; the benchmarks use dist-bench/). */
  dist?: string;
  /** Extra Chromium flags (a test maps host names to loopback servers with --host-resolver-rules). */
  args?: string[];
  /** An X display (scripts/xvfb.ts) to run on with a window, for what headless Chromium cannot show: its prompts. */
  display?: string;
}

/** @example const ext = await launchWithExtension(); const worker = await ext.worker(); */
export async function launchWithExtension(options: LaunchOptions = {}): Promise<ExtensionBrowser> {
  const dist = options.dist ?? DIST;
  if (!existsSync(path.join(dist, 'manifest.json'))) throw new Error(`${dist} has no build: run \`npm run build\` first.`);
  const executablePath = options.executablePath ?? (await findBrowser());
  const temporary = !options.userDataDir;
  const userDataDir = options.userDataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'agile-crm-profile-')));
  const headless = options.display ? false : (options.headless ?? true);
  const browser = await puppeteer.launch({
    executablePath,
    headless,
    ...(options.display ? { env: { ...process.env, DISPLAY: options.display } } : {}),
    pipe: true,
    enableExtensions: true,
    userDataDir,
    args: [...CHROMIUM_ARGS, ...(headless ? [] : ['--window-size=1280,860']), ...(options.args ?? [])],
    defaultViewport: headless ? { width: 1280, height: 800 } : null,
  });
  try {
    const extensionId = await browser.installExtension(dist);
    const manifest = JSON.parse(await readFile(path.join(dist, 'manifest.json'), 'utf8')) as {
      action: { default_popup: string };
      options_ui: { page: string };
    };
    const isWorker = (candidate: Target) => candidate.type() === 'service_worker' && candidate.url().startsWith(`chrome-extension://${extensionId}/`);
    // A worker that went away with its extension (disabled, reloaded) can leave a target whose evaluate never
    // settles: give each probe a moment, then look again.
    const ready = (handle: WebWorker) => Promise.race([
      handle.evaluate(() => typeof chrome !== 'undefined' && !!chrome.runtime?.id).catch(() => false),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 1_000)),
    ]);
    /**
     * The live service worker. A terminated worker (idle, or `worker.close()`) lingers as a detached target for a
     * moment and only starts again on an event, so this wakes it by opening an extension page when needed. The
     * `chrome` global can appear a little after the target does, hence the readiness check.
     */
    const worker = async (): Promise<WebWorker> => {
      const started = Date.now();
      let woken = false;
      while (Date.now() - started < 15_000) {
        for (const target of browser.targets().filter(isWorker).reverse()) {
          const handle = await target.worker().catch(() => null);
          if (handle && (await ready(handle))) return handle;
        }
        if (!woken && Date.now() - started > 300) {
          woken = true;
          const page = await browser.newPage();
          // The options page asks the worker for the settings, which starts it; its form appears once answered.
          await page.goto(`chrome-extension://${extensionId}/${manifest.options_ui.page}`, { waitUntil: 'domcontentloaded' }).catch(() => undefined);
          await page.waitForSelector('form', { timeout: 5_000 }).catch(() => undefined);
          await page.close();
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('The extension service worker did not start.');
    };
    return {
      browser,
      extensionId,
      popupPath: manifest.action.default_popup,
      optionsPath: manifest.options_ui.page,
      worker,
      close: async () => {
        await browser.close().catch(() => undefined);
        if (temporary) await rm(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser.close().catch(() => undefined);
    if (temporary) await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Saves the extension's settings the way the options page does (through the worker's storage). */
export async function configure(ext: ExtensionBrowser, settings: Settings): Promise<void> {
  const worker = await ext.worker();
  await worker.evaluate((value) => chrome.storage.local.set({ settings: value }), settings);
}

/**
 * Opens the toolbar popup on `pageUrl` the way a click on the button does (`chrome.action.openPopup`) and returns
 * the popup's page. Reuses a tab already showing that URL.
 */
export async function openPopup(ext: ExtensionBrowser, pageUrl: string): Promise<Page> {
  const pages = await ext.browser.pages();
  let page = pages.find((candidate) => candidate.url() === pageUrl);
  if (!page) {
    page = await ext.browser.newPage();
    await page.goto(pageUrl, { waitUntil: 'domcontentloaded' });
  }
  await page.bringToFront();
  const popupUrl = `chrome-extension://${ext.extensionId}/${ext.popupPath}`;
  const worker = await ext.worker();
  const [target] = await Promise.all([
    ext.browser.waitForTarget((candidate) => candidate.url().startsWith(popupUrl), { timeout: 10_000 }),
    worker.evaluate(() => chrome.action.openPopup()),
  ]);
  const popup = await target.asPage();
  await popup.waitForSelector('#app > *');
  return popup;
}

/**
 * Opens the popup as a click on the toolbar button does: CDP `Extensions.triggerAction` on the page's tab. Unlike
 * `chrome.action.openPopup()` it grants activeTab, which a file:// page needs (with file access on) to be read.
 */
export async function clickAction(ext: ExtensionBrowser, pageUrl: string): Promise<Page> {
  const pages = await ext.browser.pages();
  const page = pages.find((candidate) => candidate.url() === pageUrl) ?? (await ext.browser.newPage());
  if (page.url() !== pageUrl) await page.goto(pageUrl, { waitUntil: 'domcontentloaded' });
  await page.bringToFront();
  const session = await ext.browser.target().createCDPSession();
  try {
    const { targetInfos } = await session.send('Target.getTargets', { filter: [{ type: 'tab' }] });
    const tab = targetInfos.find((info) => info.url === pageUrl);
    if (!tab) throw new Error(`No tab shows ${pageUrl}.`);
    const popupUrl = `chrome-extension://${ext.extensionId}/${ext.popupPath}`;
    const [target] = await Promise.all([
      ext.browser.waitForTarget((candidate) => candidate.url().startsWith(popupUrl), { timeout: 10_000 }),
      session.send('Extensions.triggerAction', { id: ext.extensionId, targetId: tab.targetId }),
    ]);
    const popup = await target.asPage();
    await popup.waitForSelector('#app > *');
    return popup;
  } finally {
    await session.detach();
  }
}

/**
 * Clicks Sign in in the popup, waits for the consent page that `launchWebAuthFlow` opens (a URL starting with
 * `consentUrl`), and lets `decide` act on it (click Allow, Deny, fill a form, or close it).
 */
export async function signInThrough(ext: ExtensionBrowser, popup: Page, consentUrl: string, decide: (consent: Page) => Promise<void>): Promise<void> {
  const consentTarget = ext.browser.waitForTarget((target) => target.url().startsWith(consentUrl), { timeout: 15_000 });
  await popup.locator('button.btn-primary').click();
  const consent = await (await consentTarget).asPage();
  await consent.waitForSelector('form, main');
  await decide(consent);
}

/**
 * Signs in through a bridge-mode relay as the sandbox's first user (the account's domain, the user's email and API
 * key on the relay's consent page), from a popup opened on `pageUrl`, and waits until the grant is stored.
 */
export async function signInWithApiKey(ext: ExtensionBrowser, stack: DevStack, pageUrl = `${stack.sandbox.url}/demo`): Promise<void> {
  const popup = await openPopup(ext, pageUrl);
  await signInThrough(ext, popup, `${stack.relay.url}/authorize`, async (consent) => {
    const user = stack.sandbox.state.users[0]!;
    await consent.locator('#domain').fill(stack.sandbox.state.domain);
    await consent.locator('#email').fill(user.email);
    await consent.locator('#api_key').fill(user.apiKey);
    await consent.locator('#submit').click();
  });
  await waitForSignIn(ext);
  if (!popup.isClosed()) await popup.close();
}

/** Waits until the worker's storage holds a grant (sign-in finished) or `timeoutMs` passes. */
export async function waitForSignIn(ext: ExtensionBrowser, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const worker = await ext.worker();
    if (await worker.evaluate(async () => !!(await chrome.storage.local.get('grant')).grant)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('Sign-in did not complete.');
}

/**
 * Closes the popup a sign-in was started from, once the lookup it goes on to make has answered. Closing it earlier
 * would leave that lookup running in the worker, and its cache write — issued just before the answer — could land
 * after the caller's next step (a cleared cache would fill again). Waiting for the answer orders that write first.
 */
export async function closeAfterLookup(popup: Page, timeoutMs = 15_000): Promise<void> {
  if (popup.isClosed()) return;
  await popup.waitForFunction(() => {
    const refresh = document.querySelector('.page .status button');
    return !!document.querySelector('.notice-error') || (!!document.querySelector('.page') && (!refresh || refresh.textContent === 'Refresh'));
  }, { timeout: timeoutMs });
  await popup.close();
}

/** Everything the extension keeps, from both storage areas, as one JSON string (for "no token left" checks). */
export async function dumpStorage(ext: ExtensionBrowser): Promise<string> {
  const worker = await ext.worker();
  return worker.evaluate(async () => JSON.stringify({ local: await chrome.storage.local.get(null), session: await chrome.storage.session.get(null) }));
}

/**
 * Launches the extension holding `origins` of its `optional_host_permissions`, as a rep's accepted permission prompt
 * leaves it, headless. Headless Chromium never shows the prompt (the `permissions.request` promise stays pending;
 * `--apps-gallery-install-auto-confirm-for-tests` does not answer it; CDP has no method for extension permissions;
 * `developerPrivate.addHostPermission` does not grant optional hosts) — test/e2e/permission-prompt.test.ts answers it
 * with a window on Xvfb and real key presses, which is slower, so the tests that need sites granted start here: a copy of the build
 * is installed with them as host permissions, then reloaded with the shipped manifest, where they are optional
 * permissions the extension holds: `permissions.contains` says so, and `permissions.remove` gives them back.
 */
export async function launchWithGrantedHosts(options: LaunchOptions & { origins: string[] }): Promise<ExtensionBrowser> {
  const copy = await mkdtemp(path.join(os.tmpdir(), 'agile-crm-granted-'));
  try {
    await cp(options.dist ?? DIST, copy, { recursive: true });
    const manifestPath = path.join(copy, 'manifest.json');
    const shipped = await readFile(manifestPath, 'utf8');
    const manifest = JSON.parse(shipped) as { host_permissions: string[] };
    await writeFile(manifestPath, JSON.stringify({ ...manifest, host_permissions: [...manifest.host_permissions, ...options.origins] }));
    const ext = await launchWithExtension({ ...options, dist: copy });
    await writeFile(manifestPath, shipped);
    const extensions = await ext.browser.newPage();
    await extensions.goto('chrome://extensions/');
    // Developer mode keeps an unpacked extension enabled through a reload.
    await extensions.evaluate(async (id) => {
      const developer = (chrome as unknown as { developerPrivate: { updateProfileConfiguration(c: object): Promise<void>; reload(id: string, o: object): Promise<void> } }).developerPrivate;
      await developer.updateProfileConfiguration({ inDeveloperMode: true });
      await developer.reload(id, { failQuietly: false });
    }, ext.extensionId);
    await extensions.close();
    const worker = await ext.worker();
    await worker.evaluate(async () => {
      while (!chrome.runtime.getManifest().optional_host_permissions) await new Promise((resolve) => setTimeout(resolve, 50));
    });
    if (!(await worker.evaluate((granted) => chrome.permissions.contains({ origins: granted }), options.origins))) {
      await ext.close();
      throw new Error(`The extension did not keep ${options.origins.join(', ')} through the reload.`);
    }
    return { ...ext, close: async () => {
      await ext.close();
      await rm(copy, { recursive: true, force: true });
    } };
  } catch (error) {
    await rm(copy, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A tab whose requests to Gmail and Outlook on the web are answered with the sandbox's pages of their shape
 * (src/sandbox/mail-fixtures.ts), so the extension sees those sites' real URLs.
 */
export async function mailTab(ext: ExtensionBrowser, sandboxUrl: string, url: string): Promise<Page> {
  const page = await ext.browser.newPage();
  await page.setRequestInterception(true);
  page.on('request', (request: HTTPRequest) => {
    const target = new URL(request.url());
    const app = target.hostname === 'mail.google.com' ? 'gmail' : target.hostname.startsWith('outlook.') ? 'outlook' : null;
    if (!app) return void request.continue();
    void fetch(`${sandboxUrl}/demo/${app}${target.pathname}${target.search}`)
      .then(async (answer) => request.respond({ status: answer.status, contentType: 'text/html', body: await answer.text() }))
      .catch(() => request.abort());
  });
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

/**
 * Clicks `selector` in `page` where the click closes the page (a popup gives up the focus to Chrome's permission
 * prompt): the click's own answer may never come back from a page that closed under it, so what is awaited is the
 * close. Rejects if the element does not show, or the page is still open `timeoutMs` after the click.
 */
export async function clickThatCloses(page: Page, selector: string, timeoutMs = 15_000): Promise<void> {
  const closed = new Promise<void>((resolve) => page.once('close', () => resolve()));
  const element = await page.waitForSelector(selector, { timeout: timeoutMs });
  if (!element) throw new Error(`No ${selector} to click.`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${selector} was clicked, and the page stayed open.`)), timeoutMs);
  });
  element.click().catch(() => undefined);
  try {
    await Promise.race([closed, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens the real side panel as a rep does from the popup ("Keep open", a click: the user gesture it needs). */
export async function openSidePanelFrom(ext: ExtensionBrowser, popup: Page): Promise<Page> {
  const target = ext.browser.waitForTarget((candidate) => candidate.url().includes('/src/sidepanel/index.html'), { timeout: 10_000 });
  await popup.locator('::-p-aria(Keep open[role="button"])').click();
  const panel = await (await target).asPage();
  await panel.waitForSelector('#app > *');
  return panel;
}
