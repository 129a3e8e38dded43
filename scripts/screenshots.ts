/**
 * Regenerates the README's screenshots of the popup's main states, from the real extension against the sandbox:
 * `npm run screenshots` → docs/screenshots/*.png.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer';
import { build } from 'vite';
import { startDevStack } from './dev-stack';
import { configure, launchWithExtension, openPopup, signInThrough, waitForSignIn } from './extension';

const OUT = path.resolve('docs', 'screenshots');
await mkdir(OUT, { recursive: true });
await build({ logLevel: 'warn' });
const stack = await startDevStack();
const ext = await launchWithExtension();
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
} finally {
  await ext.close();
  await stack.close();
}
