/**
 * Every page a rep reads, in real Chromium against the sandbox's fixture pages (src/sandbox/fixtures.ts): whole
 * addresses only, internationalized ones as written, the whole page (frames, shadow roots, a long page, fields,
 * mailto recipients, obfuscated forms), never a hang (a hostile page, a tab showing alert()), and the right words
 * for each kind of page (PDF, browser page, file).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Dialog, Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickAction, openPopup } from '../../scripts/extension';
import { demoPage } from '../../src/sandbox/pages';
import { parseContact } from '../../src/shared/contact';
import { cardNames, clearContactCache, createWorld, type World } from './setup';

let world: World;
let files: string;
beforeAll(async () => {
  world = await createWorld();
  await world.signIn();
  files = await mkdtemp(path.join(os.tmpdir(), 'agile-crm-pages-'));
});
afterAll(async () => {
  await world?.close();
  if (files) await rm(files, { recursive: true, force: true });
});

const state = () => world.stack.sandbox.state;
const seed = () => state().seed;
const nameOf = (email: string) => parseContact(state().contactByEmail(email)).name;
const popupOn = (url: string) => openPopup(world.ext, url.startsWith('/') ? `${world.stack.sandbox.url}${url}` : url);
const missing = (popup: Page) => popup.$$eval('.missing-who .muted', (items) => items.map((item) => item.textContent ?? ''));
const shown = (popup: Page) => popup.evaluate(() => document.body.innerText);
const threadNames = () => seed().demoKnownEmails.map(nameOf);

describe('whole addresses, and one that cannot be used never hides the rest', () => {
  it('two known addresses and info@xn--mnchen-3ya.example: cards with an empty cache, and no "Couldn’t refresh" with a warm one', async () => {
    await clearContactCache(world);
    const [first, second] = seed().demoKnownEmails;
    const cold = await popupOn('/demo/idn');
    expect((await cardNames(cold)).sort()).toEqual([nameOf(first!), nameOf(second!), nameOf(seed().quirks.unicode)].sort());
    expect(await missing(cold)).toEqual(['info@xn--mnchen-3ya.example']);
    expect(await cold.$('.notice-error')).toBeNull();
    await cold.close();

    const warm = await popupOn('/demo/idn');
    await warm.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh', { timeout: 15_000 });
    expect(await warm.$('.notice-info, .notice-error')).toBeNull();
    expect(await warm.$eval('.status span', (status) => status.textContent)).toMatch(/3 in Agile CRM · 1 not in Agile CRM · updated just now/);
    await warm.close();
  });

  it('a page with the whole page read: a known address after 1.9 MB of text', async () => {
    const popup = await popupOn('/demo/large');
    expect((await cardNames(popup)).sort()).toEqual(threadNames().sort());
    await popup.close();
  });
});

describe('where the page puts no space', () => {
  it('flex and grid cells, inline-blocks and adjacent spans after a whole address are apart; a highlighted part of one address is not', async () => {
    const popup = await popupOn('/demo/layout');
    expect((await cardNames(popup)).sort()).toEqual(threadNames().sort());
    // Not "Lovelace…@…", "…Sales", "Contact…" or "Owner…": nothing merged, so nothing is missing.
    expect(await missing(popup)).toEqual([]);
    await popup.close();
  });
});

describe('the whole page: frames and shadow roots', () => {
  it('reads same-origin frames (a src frame, a srcdoc frame inside it, an about:blank frame) and skips another origin’s silently', async () => {
    const popup = await popupOn('/demo/frames');
    const names = await cardNames(popup);
    expect(names.sort()).toEqual([...threadNames(), nameOf(seed().quirks.unicode), nameOf(seed().quirks.card)].sort());
    expect(await missing(popup)).toEqual(seed().demoUnknownEmails);
    const text = await shown(popup);
    expect(text).not.toMatch(/other-origin|can’t be read|went wrong/);
    await popup.close();
  });

  it('reads open shadow roots, nested ones and slotted text; a closed one stays closed', async () => {
    const popup = await popupOn('/demo/shadow');
    const names = await cardNames(popup);
    expect(names.sort()).toEqual([...threadNames(), nameOf(seed().quirks.apostrophe), nameOf(seed().quirks.unicode)].sort());
    expect(names).not.toContain(nameOf(seed().quirks.cutOfApostrophe));
    expect(await shown(popup)).not.toContain('closed@shadow.example');
    await popup.close();
  });
});

describe('what the rep types and clicks', () => {
  it('every mailto recipient (cc, bcc), typed fields but never a password, and obfuscated addresses; no prose read as one', async () => {
    const page = await world.ext.browser.newPage();
    const url = `${world.stack.sandbox.url}/demo/forms`;
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.type('#to', 'Ada Lovelace <ada@typed.example>, bob@typed.example');
    await page.type('#notes', 'Please loop in carol@typed.example.');
    const popup = await popupOn(url);
    const [first, second, third] = seed().demoKnownEmails;
    const { apostrophe, card, unicode, cutOfApostrophe } = seed().quirks;
    const names = await cardNames(popup);
    expect(names.sort()).toEqual([first, second, third, apostrophe, card, unicode].map((email) => nameOf(email!)).sort());
    expect(names).not.toContain(nameOf(cutOfApostrophe));
    expect(await missing(popup)).toEqual(['ada@typed.example', 'bob@typed.example', 'carol@typed.example']);
    expect(await shown(popup)).not.toContain('leak.example');

    // The card of a record shaped like real Agile data: no "{not json", a scheme-less website as an https: link,
    // a deal's decimals and currency.
    const vega = (await popup.waitForSelector(`::-p-xpath(//article[.//h2[normalize-space()="${nameOf(card)}"]])`))!;
    const facts = await vega.$$eval('.fact', (rows) => rows.map((row) => [row.querySelector('dt')?.textContent, row.querySelector('dd')?.textContent, row.querySelector('a')?.getAttribute('href')]));
    expect(facts).toContainEqual(['Website', 'www.example.mx', 'https://www.example.mx/']);
    expect(facts.map(([label]) => label)).not.toContain('Address');
    expect(await vega.evaluate((element) => element.textContent)).not.toContain('{not json');
    await (await vega.$('::-p-aria(Notes, tasks & deals[role="button"])'))!.click();
    await vega.waitForSelector('section[aria-label="Deals"] li');
    expect(await vega.$eval('section[aria-label="Deals"] li', (item) => item.textContent)).toContain('MX$120,000.50');
    await popup.close();
    await page.close();
  });
});

describe('never a hang, never a freeze', () => {
  it('a 2 MB hostile page is scanned within a generous bound, and the worker answers other messages meanwhile', async () => {
    const page = await world.ext.browser.newPage();
    const url = `${world.stack.sandbox.url}/demo/adversarial`;
    await page.goto(url, { waitUntil: 'load' });
    const options = await world.ext.browser.newPage();
    await options.goto(`chrome-extension://${world.ext.extensionId}/${world.ext.optionsPath}`);
    const worker = await world.ext.worker();
    const scan = worker.evaluate(async (address) => {
      const tab = (await chrome.tabs.query({})).find((candidate) => candidate.url === address);
      const started = performance.now();
      const result = await (globalThis as unknown as { scanTab(id: number): Promise<{ emails: unknown[] }> }).scanTab(tab!.id!);
      return { ms: performance.now() - started, found: result.emails.length };
    }, url);
    const answers = await options.evaluate(async () => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await chrome.runtime.sendMessage({ type: 'getSession' });
        times.push(performance.now() - started);
      }
      return times;
    });
    const { ms, found } = await scan;
    expect(found).toBe(seed().demoKnownEmails.length + seed().demoUnknownEmails.length);
    expect(ms).toBeLessThan(5_000);
    expect(Math.max(...answers)).toBeLessThan(2_000);
    await options.close();

    const popup = await popupOn(url);
    expect((await cardNames(popup)).sort()).toEqual(threadNames().sort());
    await popup.close();
    await page.close();
  });

  it('a tab showing alert(): within seconds, words, search and "Try again"; closing the dialog and clicking again works', async () => {
    const page = await world.ext.browser.newPage();
    const url = `${world.stack.sandbox.url}/demo?with=alert`;
    await page.goto(url, { waitUntil: 'load' });
    const dialog = new Promise<Dialog>((resolve) => page.once('dialog', resolve));
    await page.evaluate(() => void setTimeout(() => alert('Session expiring'), 0));
    const open = await dialog;
    const started = Date.now();
    const popup = await popupOn(url);
    await popup.waitForSelector('.notice-error', { timeout: 15_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await popup.$eval('.notice-error', (notice) => notice.textContent)).toMatch(/isn’t answering right now.*dialog/);
    expect(await popup.$('input[type=search]')).not.toBeNull();
    // Still open: "Try again" reads the page again and says so again, never "Loading…" for ever.
    await popup.locator('::-p-aria(Try again[role="button"])').click();
    await popup.waitForSelector('.notice-error', { timeout: 15_000 });
    // Closing the dialog focuses the page, which closes the popup (as it does for the rep); the next click reads the page.
    await open.dismiss();
    const again = await popupOn(url);
    expect((await cardNames(again)).sort()).toEqual(threadNames().sort());
    await again.close();
    await page.close();
  });
});

describe('the right words for each kind of page', () => {
  it('a PDF says the extension can’t read PDFs, with search at hand', async () => {
    const popup = await popupOn('/demo/card.pdf');
    await popup.waitForSelector('.notice-error');
    expect(await popup.$eval('.notice-error', (notice) => notice.textContent)).toMatch(/This is a PDF, and the extension can’t read addresses inside PDFs/);
    expect(await shown(popup)).not.toContain('No email addresses on this page');
    expect(await popup.$('input[type=search]')).not.toBeNull();
    await popup.close();
  });

  it('a browser page says browser pages are off limits', async () => {
    const popup = await popupOn('chrome://version/');
    await popup.waitForSelector('.notice-error');
    expect(await popup.$eval('.notice-error', (notice) => notice.textContent)).toMatch(/Browser pages can’t be read by extensions/);
    await popup.close();
  });

  it('a page that did not load says so; a view-source: page (which never answers) is off limits, not "busy"', async () => {
    // A gateway's empty 502: Chrome shows its own error page in the tab.
    const gateway = http.createServer((_, response) => void response.writeHead(502).end());
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      const failed = await clickAction(world.ext, `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/inbox`);
      await failed.waitForSelector('.notice-error', { timeout: 15_000 });
      expect(await failed.$eval('.notice-error', (notice) => notice.textContent)).toMatch(/This page didn’t load .*Reload it, or search/);
      await failed.close();
    } finally {
      gateway.close();
    }

    const started = Date.now();
    const source = await clickAction(world.ext, `view-source:${world.stack.sandbox.url}/demo`);
    await source.waitForSelector('.notice-error', { timeout: 15_000 });
    expect(await source.$eval('.notice-error', (notice) => notice.textContent)).toMatch(/can’t be read by extensions/);
    expect(await source.$('input[type=search]')).not.toBeNull();
    expect(Date.now() - started).toBeLessThan(10_000);
    await source.close();
  });

  it('a file:// page is read when file access is on; when it is off, the words say where to turn it on', async () => {
    const file = path.join(files, 'thread.html');
    await writeFile(file, String(await demoPage(seed())));
    const url = `file://${file}`;
    // A click on the toolbar button: activeTab is what lets the extension into a file page, with file access on.
    const readable = await clickAction(world.ext, url);
    expect((await cardNames(readable)).sort()).toEqual(threadNames().sort());
    await readable.close().catch(() => undefined);

    // The toggle in chrome://extensions (Chrome reloads the extension; an unpacked one needs developer mode to
    // stay enabled through the reload).
    const extensions = await world.ext.browser.newPage();
    await extensions.goto('chrome://extensions/');
    await extensions.evaluate(async (id) => {
      const developer = (chrome as unknown as { developerPrivate: { updateProfileConfiguration(c: object): Promise<void>; updateExtensionConfiguration(c: object): Promise<void> } }).developerPrivate;
      await developer.updateProfileConfiguration({ inDeveloperMode: true });
      await developer.updateExtensionConfiguration({ extensionId: id, fileAccess: false });
    }, world.ext.extensionId);
    await extensions.close();
    const worker = await world.ext.worker();
    await worker.evaluate(() => new Promise<void>((resolve) => {
      const check = () => chrome.extension.isAllowedFileSchemeAccess().then((allowed) => (allowed ? setTimeout(check, 50) : resolve()));
      check();
    }));

    const closed = await clickAction(world.ext, url);
    await closed.waitForSelector('.notice-error', { timeout: 15_000 });
    expect(await closed.$eval('.notice-error', (notice) => notice.textContent)).toMatch(/Allow access to file URLs.*extension’s details/);
    const details = world.ext.browser.waitForTarget((target) => target.url().startsWith(`chrome://extensions/?id=${world.ext.extensionId}`), { timeout: 10_000 });
    await closed.locator('::-p-aria(Open the extension’s details[role="button"])').click();
    await details;
  });
});
