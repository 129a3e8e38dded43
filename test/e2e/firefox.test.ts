/**
 * The same extension in real Firefox (Debian's firefox-esr), driven over WebDriver BiDi: sign-in through
 * launchWebAuthFlow and the sandbox's consent page, lookups in the real toolbar popup, the card and its actions,
 * search, the side panel as Firefox's sidebar, the context menu, the keyboard shortcut (real key presses on a private
 * Xvfb display), the options page
 * and sign-out with revocation — in OAuth mode, then in bridge mode. One Firefox for the file: each test leaves the
 * extension as the next expects, and the order is the rep's day.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../scripts/dev-stack';
import {
  closeFirefoxPopup, configureFirefox, dumpFirefoxStorage, firefoxTab, launchFirefox, openFirefoxPopup, pressKeys, signInThroughFirefox,
  waitForFirefoxSignIn, type ExtensionView, type FirefoxExtension,
} from '../../scripts/firefox';
import { demoPage } from '../../src/sandbox/pages';
import { parseContact } from '../../src/shared/contact';
import { FIREFOX_ADDON_ID, PINNED_FIREFOX_REDIRECT_URI } from '../../src/shared/extension-id';

let stack: DevStack;
let ext: FirefoxExtension;
let demoUrl: string;
beforeAll(async () => {
  stack = await startDevStack({ mode: 'oauth' });
  try {
    ext = await launchFirefox({ display: true, backgroundIdleMs: 2_000 });
    await configureFirefox(ext, { relayUrl: stack.relay.url, agile: stack.sandbox.url });
  } catch (error) {
    await stack.close();
    throw error;
  }
  demoUrl = `${stack.sandbox.url}/demo`;
});
afterAll(async () => {
  await ext?.close();
  await stack?.close();
});

const state = () => stack.sandbox.state;
const contactFor = (email: string) => parseContact(state().contactByEmail(email));
const popup = () => openFirefoxPopup(ext, demoUrl);

/** The names on the popup's contact cards, once the lookup has finished. */
const cardNames = (view: ExtensionView) => view.waitFor(({ document }) => (/in Agile CRM/.test(document.querySelector('.status')?.textContent ?? '')
  ? [...document.querySelectorAll('article.card .name')].map((name) => name.textContent ?? '') : null), { what: 'the contact cards' });

/** Clicks the button named `label` (its text or aria-label) inside the card of `name`, or anywhere when name is ''. */
const press = (view: ExtensionView, name: string, label: string) => view.evaluate(({ document }, card, wanted) => {
  const scope = card ? [...document.querySelectorAll('article.card')].find((article) => article.querySelector('.name')?.textContent === card) : document;
  const found = [...(scope?.querySelectorAll('button') ?? [])].find((candidate) => (candidate.getAttribute('aria-label') ?? candidate.textContent?.trim()) === wanted);
  if (!found) throw new Error(`No button ${wanted}`);
  found.click();
}, name, label);

/**
 * Types into a form's fields as the rep does (an input event per value), then submits it — in a second round trip,
 * as a rep's Enter comes after the popup has taken in what was typed.
 */
const fillAndSubmit = async (view: ExtensionView, formSelector: string, values: string[]) => {
  // A card's forms load on first use (src/popup/lazy.tsx).
  await view.waitFor(({ document }, css) => (document.querySelector(css) ? true : null), { args: [formSelector], what: formSelector });
  await view.evaluate((popupWindow, selector, texts) => {
    const form = popupWindow.document.querySelector<HTMLFormElement>(selector);
    if (!form) throw new Error(`No form ${selector}`);
    const fields = [...form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')];
    texts.forEach((value, index) => {
      fields[index]!.value = value;
      fields[index]!.dispatchEvent(new popupWindow.Event('input', { bubbles: true }));
    });
  }, formSelector, values);
  await view.evaluate(({ document }, selector) => document.querySelector<HTMLFormElement>(selector)!.requestSubmit(), formSelector);
};

const text = (view: ExtensionView, selector: string) => view.waitFor(({ document }, css) => document.querySelector(css)?.textContent, { args: [selector], what: selector });

/** The demo page's known people, in page order, as the sandbox seeded them. */
const demoNames = () => {
  const people = state().seed.contacts.filter((contact) => contact.type === 'PERSON');
  return [0, 1, 2, 3, 7].map((index) => {
    const value = (name: string) => String(people[index]!.properties.find((property) => property.name === name)?.value);
    return `${value('first_name')} ${value('last_name')}`;
  });
};

describe('the add-on as Firefox installed it', () => {
  it('has the pinned id and redirect URL, an event page, and the shortcut registered', async () => {
    const installed = await ext.helper.evaluate(async () => ({
      redirect: chrome.identity.getRedirectURL(),
      background: chrome.runtime.getManifest().background,
      commands: await chrome.commands.getAll(),
      id: chrome.runtime.id,
    }));
    expect(installed.id).toBe(FIREFOX_ADDON_ID);
    expect(installed.redirect).toBe(PINNED_FIREFOX_REDIRECT_URI);
    expect(installed.background).toMatchObject({ scripts: [expect.any(String)] });
    expect(installed.commands).toContainEqual(expect.objectContaining({ name: '_execute_action', shortcut: 'Alt+Shift+A' }));
  });
});

describe('OAuth mode: sign-in, lookups, the card, other ways in, sign-out', () => {
  it('Allow on the consent page → the popup shows the contacts for the demo page', async () => {
    const before = await popup();
    expect(await text(before, 'button.btn-primary')).toBe('Sign in to Agile CRM');
    await signInThroughFirefox(ext, before, `${stack.sandbox.url}/oauth/authorize`, (consent) => consent.locator('#allow').click());
    await waitForFirefoxSignIn(ext);
    expect(state().count('token.authorization_code')).toBe(1);

    const after = await popup();
    expect(await cardNames(after)).toEqual(demoNames());
    const missing = await after.evaluate(({ document }) => [...document.querySelectorAll('.missing-who .muted')].map((item) => item.textContent));
    expect(missing).toEqual(state().seed.demoUnknownEmails);
    // From the event page, through CORS, with the add-on's random-uuid origin.
    expect(stack.relayLog.some((entry) => entry.path === '/token' && entry.status === 200)).toBe(true);
  });

  it('the event page suspended after sign-in (idle) → still signed in, lookups work, no refresh needed', async () => {
    await ext.helper.bringToFront();
    // Asked without waking it (extension.getBackgroundPage() answers null for a suspended page; runtime's would start it).
    await ext.helper.waitForFunction(() => chrome.extension.getBackgroundPage() === null, { timeout: 15_000, polling: 200 });
    expect(await cardNames(await popup())).toEqual(demoNames());
    expect(state().count('token.refresh_token')).toBe(0);
  });

  it('an access token Agile CRM stopped accepting (401) → one refresh, the contacts', async () => {
    await closeFirefoxPopup(ext);
    await ext.helper.evaluate(async () => chrome.storage.local.remove(Object.keys(await chrome.storage.local.get(null)).filter((key) => key.startsWith('contact:'))));
    state().expireAccessTokens();
    expect(await cardNames(await popup())).toEqual(demoNames());
    expect(state().count('token.refresh_token')).toBe(1);
  });

  it('the card: notes, open tasks and deals on demand; a note and a tag added, each confirmed', async () => {
    const contact = contactFor(state().seed.demoKnownEmails[2]!);
    const view = await popup();
    await cardNames(view);
    await press(view, contact.name, 'Notes, tasks & deals');
    const notes = await view.waitFor(({ document }) => {
      const items = [...document.querySelectorAll('section[aria-label="Recent notes"] li strong')];
      return items.length > 0 ? items.map((item) => item.textContent) : null;
    }, { what: 'the recent notes' });
    expect(notes).toEqual(state().notesOf(contact.id).slice(0, 5).map((note) => note.subject));

    await press(view, contact.name, 'Add note');
    await fillAndSubmit(view, 'form[aria-label="Add a note"]', ['Call recap', 'Wants the annual plan.']);
    expect(await text(view, 'form[aria-label="Add a note"] .notice-ok')).toBe('Note added.');
    expect(state().notesOf(contact.id)[0]).toMatchObject({ subject: 'Call recap', description: 'Wants the annual plan.' });

    await press(view, contact.name, 'Tags');
    await fillAndSubmit(view, 'form[aria-label="Edit tags"]', ['vip']);
    await view.waitFor(({ document }) => /Tags saved/.test(document.querySelector('form[aria-label="Edit tags"]')?.textContent ?? ''), { what: 'Tags saved' });
    expect(state().contact(contact.id)!.tags).toContain('vip');
  });

  it('searches by name or company', async () => {
    const view = await popup();
    await cardNames(view);
    await fillAndSubmit(view, 'form.search', ['helix']);
    const roles = await view.waitFor(({ document }) => {
      const found = [...document.querySelectorAll('section[aria-label="Search results for helix"] article.card .role')];
      return found.length > 0 ? found.map((role) => role.textContent ?? '') : null;
    }, { what: 'the search results' });
    expect(roles.every((role) => role.includes('Helix Biolabs'))).toBe(true);
  });

  it('the context menu on a mailto: link, clicked (a user action) → the toolbar popup on that one address, no extra window', async () => {
    const email = state().seed.demoKnownEmails[3]!;
    await closeFirefoxPopup(ext);
    const { tabId } = await firefoxTab(ext, demoUrl);
    const windows = await ext.helper.evaluate(async () => (await chrome.windows.getAll()).length);
    await ext.helper.bringToFront();
    // What Firefox does on a menu click: the page's tab is the active one, and the handler runs inside a user action.
    await ext.helper.evaluate(async (tabId, linkUrl) => {
      await chrome.runtime.getBackgroundPage();
      const tab = await chrome.tabs.get(tabId);
      document.body.addEventListener('click', () => {
        void chrome.tabs.update(tabId, { active: true });
        const background = chrome.extension.getBackgroundPage() as unknown as { handleMenuClick(info: object, tab: object): Promise<void> };
        void background.handleMenuClick({ menuItemId: 'lookup-link', linkUrl, editable: false, pageUrl: tab.url }, tab);
      }, { once: true });
    }, tabId, `mailto:${email}?subject=Hi`);
    await ext.helper.click('h1');
    expect(await cardNames(ext.popup)).toEqual([contactFor(email).name]);
    expect(await ext.helper.evaluate(async () => (await chrome.windows.getAll()).length)).toBe(windows);
  });

  it('the keyboard shortcut (Alt+Shift+A, real key presses) → the popup on the page', async () => {
    await closeFirefoxPopup(ext);
    const { page } = await firefoxTab(ext, demoUrl);
    await pressKeys(ext, page, 'alt+shift+a');
    expect(await cardNames(ext.popup)).toEqual(demoNames());
  });

  it('the side panel is Firefox’s sidebar: "Keep open" in the popup (a user action) and Alt+Shift+P open it on the page’s contacts', async () => {
    const view = await popup();
    expect(await cardNames(view)).toEqual(demoNames());
    // A click in the extension tab is the user action; its handler presses the popup's button, as the rep does.
    await ext.helper.evaluate(() => {
      document.body.addEventListener('click', () => {
        const [open] = chrome.extension.getViews({ type: 'popup' });
        const keep = [...(open?.document.querySelectorAll('button') ?? [])].find((button) => button.textContent === 'Keep open');
        if (!keep) throw new Error('No "Keep open" in the popup.');
        keep.click();
      }, { once: true });
    });
    await ext.helper.click('h1');
    await ext.sidebar.waitFor(({ document }) => document.documentElement.classList.contains('panel'), { what: 'the sidebar' });
    expect(await cardNames(ext.sidebar)).toEqual(demoNames());
    // Closed again in a user action, so the next tests meet the popup alone.
    await ext.helper.evaluate(() => {
      const sidebar = (chrome as unknown as { sidebarAction: { close(): Promise<void> } }).sidebarAction;
      document.body.addEventListener('click', () => void sidebar.close(), { once: true });
    });
    await ext.helper.click('h1');
    await ext.background.waitFor(() => (chrome.extension.getViews as (fetch: { type: string }) => Window[])({ type: 'sidebar' }).length === 0, { what: 'the sidebar to close' });

    // The panel's shortcut (Alt+Shift+P, real key presses) opens it too; the same user action closes it.
    const { page } = await firefoxTab(ext, demoUrl);
    await pressKeys(ext, page, 'alt+shift+p');
    expect(await cardNames(ext.sidebar)).toEqual(demoNames());
    await ext.helper.evaluate(() => {
      const sidebar = (chrome as unknown as { sidebarAction: { close(): Promise<void> } }).sidebarAction;
      document.body.addEventListener('click', () => void sidebar.close(), { once: true });
    });
    await ext.helper.bringToFront();
    await ext.helper.click('h1');
    await ext.background.waitFor(() => (chrome.extension.getViews as (fetch: { type: string }) => Window[])({ type: 'sidebar' }).length === 0, { what: 'the sidebar to close' });
  });

  it('pages: a file:// page is read (the click grants it), a PDF in Firefox’s viewer and a browser page are said so', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agile-firefox-file-'));
    try {
      await writeFile(path.join(dir, 'thread.html'), String(await demoPage(state().seed)));
      expect((await cardNames(await openFirefoxPopup(ext, `file://${dir}/thread.html`))).sort()).toEqual([...demoNames()].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const notice = (view: ExtensionView) => text(view, '.notice-error');
    expect(await notice(await openFirefoxPopup(ext, `${stack.sandbox.url}/demo/card.pdf`))).toMatch(/^This is a PDF, and the extension can’t read addresses inside PDFs/);
    expect(await notice(await openFirefoxPopup(ext, `view-source:${demoUrl}`))).toMatch(/^Browser pages can’t be read by extensions/);
  });

  it('options page: the settings as saved, cached contacts cleared', async () => {
    await closeFirefoxPopup(ext);
    const options: Page = await ext.browser.newPage();
    try {
      await options.goto(`${ext.origin}/${ext.optionsPath}`, { timeout: 1_000 }).catch(() => undefined);
      await options.waitForSelector('#relayUrl');
      await options.waitForFunction((url) => (document.querySelector('#relayUrl') as HTMLInputElement).value === url, {}, stack.relay.url);
      expect(await dumpFirefoxStorage(ext)).toMatch(/"contact:/);
      await options.locator('button ::-p-text(Clear cached contacts)').click();
      await options.waitForFunction(() => document.querySelector('.notice-ok')?.textContent === 'Cached contacts cleared.');
      expect(await dumpFirefoxStorage(ext)).not.toMatch(/"contact:/);
    } finally {
      await options.close();
    }
  });

  it('sign out → revoked at the sandbox through the relay, no token left', async () => {
    const view = await popup();
    await cardNames(view);
    expect(await dumpFirefoxStorage(ext)).toMatch(/refreshToken/);
    await press(view, '', 'Sign out');
    await view.waitFor(({ document }) => !!document.querySelector('.signin'), { what: 'the sign-in panel' });
    expect(state().count('revoke')).toBe(1);
    expect(state().grantCount()).toEqual({ live: 0, revoked: 1 });
    expect(await dumpFirefoxStorage(ext)).not.toMatch(/refreshToken|accessToken|"grant"|"access"|contact:/);
  });
});

describe('a provider that issues no refresh token', () => {
  let silent: DevStack;
  beforeAll(async () => {
    silent = await startDevStack({ mode: 'oauth', sandbox: { refreshTokens: 'never' } });
    await configureFirefox(ext, { relayUrl: silent.relay.url, agile: silent.sandbox.url });
  });
  afterAll(async () => {
    await silent?.close();
  });

  /**
   * Firefox's windowless flow is no top-level navigation: measured, it sends a SameSite=Lax cookie only while its
   * redirects stay on one site. The relay (127.0.0.2) sends it on to the sandbox (127.0.0.1), whose sign-in session
   * cookie is Lax, so prompt=none finds nobody signed in there (Chrome's hidden window finds the session). The rep
   * is asked once, in words, and signing in again works.
   */
  it('an expired access token → a silent attempt without a window; without the provider’s Lax cookie, one "sign in again", which works', async () => {
    const sandbox = silent.sandbox.state;
    const page = `${silent.sandbox.url}/demo`;
    const consentUrl = `${silent.sandbox.url}/oauth/authorize`;
    await signInThroughFirefox(ext, await openFirefoxPopup(ext, page), consentUrl, (consent) => consent.locator('#allow').click());
    await waitForFirefoxSignIn(ext);
    await closeFirefoxPopup(ext);
    await ext.helper.evaluate(async () => chrome.storage.local.remove(Object.keys(await chrome.storage.local.get(null)).filter((key) => key.startsWith('contact:'))));
    sandbox.expireAccessTokens();
    const windows = (await ext.browser.pages()).length;
    const view = await openFirefoxPopup(ext, page);
    expect(await text(view, '.signin .notice-error')).toBe('Your Agile CRM session has ended. Sign in again.');
    expect(sandbox.count('authorize.silent')).toBe(1);
    expect((await ext.browser.pages()).length).toBe(windows);
    await signInThroughFirefox(ext, view, consentUrl, (consent) => consent.locator('#allow').click());
    await waitForFirefoxSignIn(ext);
    expect(await cardNames(await openFirefoxPopup(ext, page))).toHaveLength(sandbox.seed.demoKnownEmails.length);
    await press(ext.popup, '', 'Sign out');
    await ext.popup.waitFor(({ document }) => !!document.querySelector('.signin'), { what: 'the sign-in panel' });
  });
});

describe('bridge mode: a real Agile CRM account’s API key through the relay', () => {
  let bridge: DevStack;
  beforeAll(async () => {
    // On 127.0.0.1, inside the build's host permissions, as `npm run relay` listens: Firefox's GETs there carry no Origin.
    bridge = await startDevStack({ mode: 'bridge', relayHost: '127.0.0.1' });
    await configureFirefox(ext, { relayUrl: bridge.relay.url, agile: bridge.sandbox.url });
  });
  afterAll(async () => {
    await bridge?.close();
  });

  it('signs in with the API key, looks up the demo page and a card’s notes, signs out: the relay refuses the refresh token after', async () => {
    const user = bridge.sandbox.state.users[0]!;
    const bridgeDemo = `${bridge.sandbox.url}/demo`;
    await signInThroughFirefox(ext, await openFirefoxPopup(ext, bridgeDemo), `${bridge.relay.url}/authorize`, async (form) => {
      await form.locator('#domain').fill(bridge.sandbox.state.domain);
      await form.locator('#email').fill(user.email);
      await form.locator('#api_key').fill(user.apiKey);
      await form.locator('#submit').click();
    });
    await waitForFirefoxSignIn(ext);
    const view = await openFirefoxPopup(ext, bridgeDemo);
    expect(await cardNames(view)).toHaveLength(bridge.sandbox.state.seed.demoKnownEmails.length);
    expect(await text(view, '.user')).toBe(user.email);
    const contact = parseContact(bridge.sandbox.state.contactByEmail(bridge.sandbox.state.seed.demoKnownEmails[0]!));
    await press(view, contact.name, 'Notes, tasks & deals');
    expect(await view.waitFor(({ document }) => document.querySelector('.details section[aria-label="Recent notes"]')?.textContent, { what: 'the notes' }))
      .toContain(bridge.sandbox.state.notesOf(contact.id)[0]!.subject);
    const stored = await dumpFirefoxStorage(ext);
    expect(stored).not.toContain(user.apiKey);
    const { refreshToken } = JSON.parse(stored).local.grant as { refreshToken: string };

    await press(view, '', 'Sign out');
    await view.waitFor(({ document }) => !!document.querySelector('.signin'), { what: 'the sign-in panel' });
    expect(bridge.relayLog).toContainEqual(expect.objectContaining({ method: 'POST', path: '/revoke', status: 200 }));
    const refused = await fetch(`${bridge.relay.url}/token`, {
      method: 'POST', headers: { Origin: ext.origin, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'agile-crm-extension' }),
    });
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' });
  });
});
