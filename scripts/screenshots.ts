/**
 * Regenerates the README's screenshots of the popup's main states, from the real extension against the sandbox:
 * `npm run screenshots` → docs/screenshots/*.png.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer';
import { build } from 'vite';
import { startDevStack } from './dev-stack';
import { mailThreads } from '../src/sandbox/mail-fixtures';
import { clickAction, configure, launchWithGrantedHosts, mailTab, openPopup, openSidePanelFrom, signInThrough, waitForSignIn } from './extension';

const OUT = path.resolve('docs', 'screenshots');
await mkdir(OUT, { recursive: true });
await build({ logLevel: 'warn' });
const stack = await startDevStack();
// Gmail followed (as after "Follow mail.google.com"), for the side panel's pictures.
const ext = await launchWithGrantedHosts({ origins: ['https://mail.google.com/*'] });
const shot = async (popup: Page, name: string) => {
  await new Promise((resolve) => setTimeout(resolve, 150));
  await popup.screenshot({ path: path.join(OUT, `${name}.png`) as `${string}.png` });
  console.log(`docs/screenshots/${name}.png`);
};

try {
  await configure(ext, { relayUrl: stack.relay.url, agile: stack.sandbox.url });
  const demo = `${stack.sandbox.url}/demo`;
  const signedOut = await openPopup(ext, demo);
  await shot(signedOut, 'signed-out');
  await signInThrough(ext, signedOut, `${stack.sandbox.url}/oauth/authorize`, (consent) => consent.locator('#allow').click());
  await waitForSignIn(ext);
  if (!signedOut.isClosed()) await signedOut.close();

  const found = await openPopup(ext, demo);
  await found.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh');
  await shot(found, 'contacts');

  const first = (await found.$('article.card'))!;
  await (await first.$('button[aria-expanded]'))!.click();
  await first.waitForSelector('.details section');
  await first.evaluate((card) => card.scrollIntoView());
  await shot(found, 'contact-details');
  await found.close();

  const missing = await openPopup(ext, demo);
  await missing.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh');
  await missing.locator(`::-p-aria(Add ${stack.sandbox.state.seed.demoUnknownEmails[0]} to Agile CRM[role="button"])`).click();
  await missing.waitForSelector('form[aria-label^="Add "]');
  await missing.$eval('.missing', (section) => section.scrollIntoView());
  await shot(missing, 'add-contact');
  await missing.close();

  stack.sandbox.state.faults.queue.push({ scope: 'api', kind: 'status', status: 503, times: 100 });
  const stale = await openPopup(ext, demo);
  await stale.waitForSelector('.notice-info', { timeout: 15_000 });
  await shot(stale, 'error-stale');
  stack.sandbox.state.faults.queue.length = 0;
  await stale.close();

  // The side panel beside a Gmail-shaped page. Headless Chromium does not draw its own side-panel frame into page
  // screenshots, so the panel's page (400 px wide) is captured on its own and set beside the mail page's capture.
  const [thread] = mailThreads(stack.sandbox.state.seed);
  const mail = await mailTab(ext, stack.sandbox.url, `https://mail.google.com/mail/u/0/#inbox/${thread!.gmailId}`);
  const popup = await openPopup(ext, mail.url());
  await popup.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh');
  const panel = await openSidePanelFrom(ext, popup);
  await panel.setViewport({ width: 400, height: 800 });
  await panel.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh');
  await new Promise((resolve) => setTimeout(resolve, 150));
  await mail.setViewport({ width: 880, height: 800 });
  const [left, right] = [await mail.screenshot({ encoding: 'base64' }), await panel.screenshot({ encoding: 'base64' })];
  const board = await ext.browser.newPage();
  await board.setViewport({ width: 1280, height: 800 });
  await board.setContent(`<body style="margin:0;display:flex"><img src="data:image/png;base64,${left}" width="880" height="800">` +
    `<img src="data:image/png;base64,${right}" width="400" height="800" style="border-left:1px solid #d0d7de;box-sizing:border-box"></body>`);
  await shot(board, 'side-panel');
  await board.close();

  // A mail site not followed yet: the popup (a toolbar click) offers to follow it.
  const outlook = await mailTab(ext, stack.sandbox.url, `https://outlook.live.com/mail/inbox/id/${encodeURIComponent(thread!.outlookId)}`);
  const offer = await clickAction(ext, outlook.url());
  await offer.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh');
  await shot(offer, 'follow-offer');
} finally {
  await ext.close();
  await stack.close();
}
