/**
 * Following a mail site through Chrome's real permission prompt. Headless Chromium never shows the prompt (its
 * `permissions.request` stays pending), so this runs Chromium with a window on a private Xvfb display and answers
 * the prompt as a rep's keyboard does, with X key presses (xdotool): the prompt opens with "Deny" focused, so
 * Return denies and Tab, Return allows. Denied, the site is not read, not even when its conversation changes;
 * allowed, the worker starts following it at once (the badge counts the conversation's people in Agile CRM) and
 * follows the next conversation without a click.
 */
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDevStack, type DevStack } from '../../scripts/dev-stack';
import { clickAction, clickThatCloses, configure, launchWithExtension, mailTab, signInWithApiKey, type ExtensionBrowser } from '../../scripts/extension';
import { pressXKeys, screenPixel, startXvfb, type Xvfb } from '../../scripts/xvfb';
import { mailThreads } from '../../src/sandbox/mail-fixtures';

const GMAIL = 'https://mail.google.com/*';
let stack: DevStack;
let xvfb: Xvfb;
let ext: ExtensionBrowser;

const threads = () => mailThreads(stack.sandbox.state.seed);
const gmail = (id: string) => `https://mail.google.com/mail/u/0/#inbox/${id}`;
/** How many of a conversation's people are in Agile CRM: what the badge says. */
const inAgile = (emails: string[]) => String(emails.filter((email) => stack.sandbox.state.contactByEmail(email)).length);
const granted = async () => (await ext.worker()).evaluate((origin) => chrome.permissions.contains({ origins: [origin] }), GMAIL);
const badge = async (page: Page) => {
  await page.bringToFront();
  return (await ext.worker()).evaluate(async () => {
    const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
    return chrome.action.getBadgeText({ tabId: tab!.id! });
  });
};

/**
 * A point of the page that the prompt's scrim dims (the prompt is drawn inside the browser window, not as a window of
 * its own, so X cannot be asked whether it is up): far from the prompt, at the top, and the popup, at the right.
 */
const BEHIND_PROMPT: [number, number] = [200, 700];

/**
 * Waits until the page behind the prompt is dimmed (the prompt is up), then presses `keys` until it is gone. Chrome's
 * dialogs ignore input for a moment after they show (as long as a double click, so that a click meant for the page
 * does not answer them), and its "Allow" is enabled a moment later still: keys sent in that window are lost, so they
 * are sent again until the dim lifts.
 */
async function answerPrompt(undimmed: number, keys: string[]): Promise<void> {
  const dimmed = async () => (await screenPixel(xvfb.display, ...BEHIND_PROMPT)) !== undimmed;
  await expect.poll(dimmed, { timeout: 15_000, interval: 100, message: 'Chrome’s permission prompt to show' }).toBe(true);
  for (let attempt = 0; attempt < 10 && (await dimmed()); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 700));
    await pressXKeys(xvfb.display, keys);
    for (let wait = 0; wait < 10 && (await dimmed()); wait++) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await dimmed(), 'Chrome’s permission prompt to close').toBe(false);
}

/** Clicks "Follow mail.google.com" in the popup the toolbar button opens, and answers Chrome's prompt with `keys`. */
async function follow(page: Page, keys: string[]): Promise<void> {
  const popup = await clickAction(ext, page.url());
  await popup.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh', { timeout: 20_000 });
  // The prompt takes the focus, which closes the popup: then it is up, with "Deny" focused.
  const before = await screenPixel(xvfb.display, ...BEHIND_PROMPT);
  await clickThatCloses(popup, '::-p-aria(Follow mail.google.com[role="button"])');
  await answerPrompt(before, keys);
}

beforeAll(async () => {
  stack = await startDevStack({ mode: 'bridge' });
  xvfb = await startXvfb();
  ext = await launchWithExtension({ executablePath: inject('browserPath'), display: xvfb.display });
  await configure(ext, { relayUrl: stack.relay.url, agile: stack.sandbox.url });
  await signInWithApiKey(ext, stack);
});
afterAll(async () => {
  await ext?.close();
  await stack?.close();
  xvfb?.stop();
});

describe('following a site through Chrome’s permission prompt', () => {
  it('denied: the site stays unread, even when its conversation changes', async () => {
    const [first, second] = threads();
    const page = await mailTab(ext, stack.sandbox.url, gmail(first!.gmailId));
    await follow(page, ['Return']);
    await expect.poll(granted, { timeout: 10_000 }).toBe(false);
    const lookups = stack.sandbox.state.count('requests.api');
    await page.bringToFront();
    await page.evaluate((id) => void (location.hash = `#inbox/${id}`), second!.gmailId);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await badge(page)).toBe('');
    expect(stack.sandbox.state.count('requests.api')).toBe(lookups);
    await page.close();
  });

  it('allowed: followed at once (the badge counts the conversation’s people in Agile CRM), and the next conversation without a click', async () => {
    const [first, second] = threads();
    const page = await mailTab(ext, stack.sandbox.url, gmail(first!.gmailId));
    await follow(page, ['Tab', 'Return']);
    await expect.poll(granted, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => badge(page), { timeout: 15_000 }).toBe(inAgile(first!.expected));
    await page.evaluate((id) => void (location.hash = `#inbox/${id}`), second!.gmailId);
    await expect.poll(() => badge(page), { timeout: 15_000 }).toBe(inAgile(second!.expected));
    // Options lists it, with the way to stop.
    const options = await ext.browser.newPage();
    await options.goto(`chrome-extension://${ext.extensionId}/${ext.optionsPath}`);
    await options.waitForSelector('::-p-xpath(//section[@aria-label="Followed sites"]//li[contains(., "mail.google.com")])', { timeout: 10_000 });
    await options.close();
    await page.close();
  });
});
