/**
 * `npm start`: build the extension, start the Agile CRM sandbox and the relay on loopback, and open Chromium with
 * the extension on the sandbox's demo page.
 *
 * - With a display: a normal window for a person. Click the toolbar button, sign in (demo@example.com / demo).
 * - Without one (or with --headless): signs in and looks up the demo page through the real popup, prints the
 *   contacts, saves a screenshot of the popup, and exits 0.
 *
 * Options: --bridge (relay in API-key bridge mode), --headless, --headful.
 * Environment: SANDBOX_PORT, RELAY_PORT (default: any free port).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'vite';
import { findBrowser } from './browser';
import { startDevStack } from './dev-stack';
import { configure, launchWithExtension, openPopup, signInThrough, waitForSignIn } from './extension';

const args = new Set(process.argv.slice(2));
const mode = args.has('--bridge') ? 'bridge' : 'oauth';
const hasDisplay = !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY) || process.platform === 'darwin' || process.platform === 'win32';
const headless = args.has('--headless') || (!args.has('--headful') && !hasDisplay);
const SCREENSHOT = path.resolve('output', 'popup.png');

console.log('Building the extension…');
await build({ logLevel: 'warn' });
const executablePath = await findBrowser((line) => console.log(line));

const stack = await startDevStack({
  mode,
  sandboxPort: Number(process.env.SANDBOX_PORT ?? 0),
  relayPort: Number(process.env.RELAY_PORT ?? 0),
});
const demoUrl = `${stack.sandbox.url}/demo`;
console.log(`Agile CRM sandbox  ${stack.sandbox.url}   (demo page ${demoUrl})`);
console.log(`Token relay        ${stack.relay.url}   (${mode} mode)`);

const ext = await launchWithExtension({ executablePath, headless });
const shutdown = async (code: number) => {
  await ext.close();
  await stack.close();
  process.exit(code);
};
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

try {
  await configure(ext, { relayUrl: stack.relay.url, agile: stack.sandbox.url });
  const demoUser = stack.sandbox.state.users[0];
  if (!demoUser) throw new Error('The sandbox has no users.');

  if (!headless) {
    const page = await ext.browser.newPage();
    await page.goto(demoUrl);
    console.log(`\nChromium is open on the demo page. Click the Agile CRM toolbar button (pin it from the puzzle menu),`);
    console.log(mode === 'oauth'
      ? `sign in as ${demoUser.email} / ${demoUser.password}, and see the page's contacts.`
      : `sign in with domain "${stack.sandbox.state.domain}", ${demoUser.email} and API key ${demoUser.apiKey}.`);
    console.log('Close the browser or press Ctrl+C to stop.');
    ext.browser.on('disconnected', () => void shutdown(0));
  } else {
    console.log('\nNo display: signing in and looking up the demo page headless…');
    const popup = await openPopup(ext, demoUrl);
    await signInThrough(ext, popup, mode === 'oauth' ? `${stack.sandbox.url}/oauth/authorize` : `${stack.relay.url}/authorize`, async (consent) => {
      if (mode === 'bridge') {
        await consent.locator('#domain').fill(stack.sandbox.state.domain);
        await consent.locator('#email').fill(demoUser.email);
        await consent.locator('#api_key').fill(demoUser.apiKey);
        await consent.locator('#submit').click();
      } else {
        await consent.locator('#allow').click();
      }
    });
    await waitForSignIn(ext);
    if (!popup.isClosed()) await popup.close();
    const signedIn = await openPopup(ext, demoUrl);
    await signedIn.waitForFunction(() => document.querySelector('.status')?.textContent?.includes('in Agile CRM'), { timeout: 15_000 });
    const summary = await signedIn.evaluate(() => ({
      status: document.querySelector('.status span')?.textContent ?? '',
      contacts: Array.from(document.querySelectorAll('article.card')).map((card) => ({
        name: card.querySelector('.name')?.textContent ?? '',
        role: card.querySelector('.role')?.textContent ?? '',
        emails: Array.from(card.querySelectorAll('a[href^="mailto:"]')).map((link) => link.textContent),
      })),
      missing: Array.from(document.querySelectorAll('.missing-who .muted')).map((item) => item.textContent),
    }));
    console.log(`\n${summary.status}`);
    for (const contact of summary.contacts) console.log(`  ✔ ${contact.name} — ${contact.role} <${contact.emails.join(', ')}>`);
    for (const email of summary.missing) console.log(`  ✚ not in Agile CRM: ${email}`);
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await signedIn.screenshot({ path: SCREENSHOT as `${string}.png` });
    console.log(`\nScreenshot of the popup: ${path.relative(process.cwd(), SCREENSHOT)}`);
    await shutdown(summary.contacts.length > 0 ? 0 : 1);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await shutdown(1);
}
