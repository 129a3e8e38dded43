/**
 * `npm run bench`: numbers, never pass/fail. Prints a table and writes bench/results/latest.json.
 *
 * Every figure is a median over BENCH_RUNS (default 20) runs on loopback against the sandbox, measured side by side
 * in one run (absolute times on a 2-core machine swing from run to run; ratios measured together do not).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'puppeteer';
import { build } from 'vite';
import { relayEnvFor, startDevStack, type DevStack } from '../scripts/dev-stack';
import { closeAfterLookup, configure, DIST, launchWithExtension, openPopup, signInThrough, waitForSignIn, type ExtensionBrowser } from '../scripts/extension';
import { DEV_CLIENT } from '../src/sandbox/node';
import { extensionOrigin, PINNED_EXTENSION_ID } from '../src/shared/extension-id';
import { CONTACTS_PAINTED } from '../src/popup/paint-mark';
import { bridgeAccessToken, bundle, mintRefreshToken, pinSelf, pinWorkerd, startProcess } from './processes';
import { scanTimes } from './scan';
import { loadHeld } from './load-held';
import { sidePanelTimes } from './sidepanel';
import { startWorkerdRelay } from '../scripts/workerd-relay';
import { createSeed, SANDBOX_USERS } from '../src/sandbox/seed';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
/** The demo page's addresses, for proxy load (the sandbox in its own process has the same deterministic seed). */
const SANDBOX_EMAILS = [...createSeed().demoKnownEmails, ...createSeed().demoUnknownEmails];
const ROOT = path.resolve(import.meta.dirname, '..');

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

interface Row {
  metric: string;
  value: number | string;
  unit: string;
  method: string;
}
const rows: Row[] = [];
const report = (metric: string, value: number | string, unit: string, method: string) => {
  rows.push({ metric, value, unit, method });
  console.log(`  ${metric}: ${value} ${unit}`);
};

// ── bundle sizes ────────────────────────────────────────────────────────────────────────────────────────────────
async function bundleSizes(): Promise<void> {
  await build({ logLevel: 'warn', root: ROOT });
  const seen = new Set<string>();
  const gz = async (file: string): Promise<number> => {
    if (seen.has(file)) return 0;
    seen.add(file);
    const content = await readFile(path.join(DIST, file));
    let size = gzipSync(content, { level: 9 }).length;
    if (file.endsWith('.js')) {
      for (const match of content.toString('utf8').matchAll(/(?:from|import)\s*["']([^"']+\.js)["']/g)) {
        size += await gz(path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]!)).replace(/^\//, ''));
      }
    }
    return size;
  };
  const manifest = JSON.parse(await readFile(path.join(DIST, 'manifest.json'), 'utf8'));
  const page = async (file: string) => {
    seen.clear();
    let size = 0;
    for (const match of (await readFile(path.join(DIST, file), 'utf8')).matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)) size += await gz(match[1]!.replace(/^\//, ''));
    return size;
  };
  const popup = await page(manifest.action.default_popup);
  const panel = await page(manifest.side_panel.default_path);
  seen.clear();
  const worker = await gz(manifest.background.service_worker);
  seen.clear();
  const scanner = await gz('page-scan.js');
  report('bundle: popup (JS + CSS), gzipped', round(popup / 1024, 2), 'kB', 'gzip -9 of every file the popup page loads, following static imports');
  report('bundle: side panel (JS + CSS), gzipped', round(panel / 1024, 2), 'kB', 'the same, for the side panel page');
  report('bundle: service worker, gzipped', round(worker / 1024, 2), 'kB', 'gzip -9 of the worker and every chunk it imports');
  report('bundle: page scanner (injected on demand), gzipped', round(scanner / 1024, 2), 'kB', 'page-scan.js: executeScript({ files }) into the page read, never part of the worker');
}

// ── popup time to contacts ──────────────────────────────────────────────────────────────────────────────────────
async function paintedAt(popup: Page): Promise<number> {
  await popup.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, { timeout: 20_000 }, CONTACTS_PAINTED);
  const at = await popup.evaluate((mark) => performance.getEntriesByName(mark)[0]!.startTime, CONTACTS_PAINTED);
  await popup.close();
  return at;
}

async function clearCache(ext: ExtensionBrowser): Promise<void> {
  const worker = await ext.worker();
  await worker.evaluate(async () => {
    const keys = Object.keys(await chrome.storage.local.get(null)).filter((key) => key.startsWith('contact:'));
    await chrome.storage.local.remove(keys);
  });
}

/** Copies the contacts the popup showed into storage.session for the floor page, and points the action at it. */
async function floorTime(ext: ExtensionBrowser, url: string): Promise<number> {
  const worker = await ext.worker();
  await worker.evaluate(async () => {
    const stored = await chrome.storage.local.get(null);
    const contacts = new Map<string, unknown>();
    for (const [key, value] of Object.entries(stored)) {
      const contact = key.startsWith('contact:') ? (value as { contact: { id: string } | null }).contact : null;
      if (contact) contacts.set(contact.id, contact);
    }
    await chrome.storage.session.set({ floor: [...contacts.values()] });
    await chrome.action.setPopup({ popup: 'src/bench/floor.html' });
  });
  try {
    return await paintedAt(await openPopup({ ...ext, popupPath: 'src/bench/floor.html' }, url));
  } finally {
    await worker.evaluate(() => chrome.action.setPopup({ popup: chrome.runtime.getManifest().action!.default_popup! }));
  }
}

async function popupTimes(ext: ExtensionBrowser, stack: DevStack, label: string, url: string): Promise<void> {
  const cold: number[] = [];
  const warm: number[] = [];
  const floor: number[] = [];
  const agile: number[] = [];
  const emails = await (await fetch(url)).text().then((page) => [...new Set(page.match(/[\w.+-]+@[\w.-]+\.example/g) ?? [])]);
  const user = stack.sandbox.state.users[0]!;
  for (let i = 0; i < RUNS; i++) {
    await clearCache(ext);
    cold.push(await paintedAt(await openPopup(ext, url)));
    await new Promise((resolve) => setTimeout(resolve, 150));
    warm.push(await paintedAt(await openPopup(ext, url)));
    floor.push(await floorTime(ext, url));
    const started = performance.now();
    await (await fetch(`${stack.sandbox.url}/dev/api/contacts/search/email`, {
      method: 'POST',
      headers: { Authorization: `Basic ${btoa(`${user.email}:${user.apiKey}`)}`, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email_ids: JSON.stringify(emails.slice(0, 200)) }),
    })).text();
    agile.push(performance.now() - started);
  }
  const method = 'popup navigation start → first paint of contact cards (User Timing mark), medians';
  report(`popup ${label}: cold (empty cache)`, round(median(cold)), 'ms', method);
  report(`popup ${label}: warm (cached)`, round(median(warm)), 'ms', method);
  report(`floor ${label}: bare page reading storage.session`, round(median(floor)), 'ms', 'same mark, same cards, no scan/messages/cache');
  report(`sandbox ${label}: batch lookup answer`, round(median(agile)), 'ms', 'Node → sandbox POST /contacts/search/email on loopback');
  report(`popup ${label}: warm ÷ floor`, round(median(warm) / median(floor), 2), '×', 'target ≤ 1.25');
  report(`popup ${label}: cold − floor − sandbox`, round(median(cold) - median(floor) - median(agile)), 'ms', 'target ≤ 30');
}

// ── Agile requests per page ─────────────────────────────────────────────────────────────────────────────────────
async function requestCounts(ext: ExtensionBrowser, stack: DevStack): Promise<void> {
  for (const n of [1, 50, 500]) {
    const counts: number[] = [];
    for (let i = 0; i < Math.min(RUNS, 5); i++) {
      await clearCache(ext);
      const before = stack.sandbox.state.count('requests.api');
      const popup = await openPopup(ext, `${stack.sandbox.url}/demo/many?n=${n}`);
      await popup.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh', { timeout: 20_000 });
      counts.push(stack.sandbox.state.count('requests.api') - before);
      await popup.close();
    }
    report(`Agile requests for a page of ${n} email${n === 1 ? '' : 's'}`, median(counts), 'requests', `popup lookup, cold; ${Math.min(n, 200)} looked up (the page cap is 200), batches of 50`);
  }
  const page = await ext.browser.newPage();
  await page.goto(`chrome-extension://${ext.extensionId}/${ext.optionsPath}`);
  const before = stack.sandbox.state.count('requests.api');
  await page.evaluate(() => chrome.runtime.sendMessage({
    type: 'lookup', source: 'agile', emails: Array.from({ length: 500 }, (_, i) => ({ email: `person${i}@nowhere.example`, name: '' })),
  }));
  report('Agile requests for a lookup of 500 emails', stack.sandbox.state.count('requests.api') - before, 'requests', 'one lookup message with 500 emails, batches of 50');
  await page.close();
}

// ── refresh coalescing ──────────────────────────────────────────────────────────────────────────────────────────
async function coalescing(ext: ExtensionBrowser, stack: DevStack): Promise<void> {
  const page = await ext.browser.newPage();
  await page.goto(`chrome-extension://${ext.extensionId}/${ext.optionsPath}`);
  const counts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    stack.sandbox.state.expireAccessTokens();
    const before = stack.sandbox.state.count('token.refresh_token');
    await page.evaluate((emails) => Promise.all(Array.from({ length: 100 }, () =>
      chrome.runtime.sendMessage({ type: 'lookup', source: 'agile', emails: emails.map((email) => ({ email, name: '' })) }))), stack.sandbox.state.seed.demoKnownEmails);
    counts.push(stack.sandbox.state.count('token.refresh_token') - before);
  }
  report('refresh requests for 100 concurrent lookups, expired token', `${median(counts)} (max ${Math.max(...counts)})`, 'requests', 'access tokens expired at the sandbox, 100 lookup messages at once');
  await page.close();
}

// ── relay throughput ────────────────────────────────────────────────────────────────────────────────────────────
export interface LoadResult {
  perSecond: number;
  p50: number;
  p99: number;
}

/**
 * `chains` concurrent refresh-token chains, `perChain` exchanges each: every exchange uses the refresh token the
 * previous one returned (rotation makes each token single-use).
 */
export async function refreshLoad(send: (refreshToken: string) => Promise<Response>, mint: () => Promise<string>, chains = 32, perChain = 40): Promise<LoadResult> {
  const latencies: number[] = [];
  const tokens = await Promise.all(Array.from({ length: chains }, mint));
  const started = performance.now();
  await Promise.all(tokens.map(async (first) => {
    let token = first;
    for (let i = 0; i < perChain; i++) {
      const t0 = performance.now();
      const response = await send(token);
      const body = (await response.json()) as { refresh_token?: string };
      latencies.push(performance.now() - t0);
      if (!body.refresh_token) throw new Error(`refresh failed: ${JSON.stringify(body)}`);
      token = body.refresh_token;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

export function reportLoad(label: string, results: LoadResult[], method: string): LoadResult {
  const summary = { perSecond: median(results.map((r) => r.perSecond)), p50: median(results.map((r) => r.p50)), p99: median(results.map((r) => r.p99)) };
  report(`${label}: throughput`, round(summary.perSecond, 0), 'req/s', method);
  report(`${label}: p50 / p99`, `${round(summary.p50, 2)} / ${round(summary.p99, 2)}`, 'ms', method);
  return summary;
}

/** `concurrency` workers sending `perWorker` requests each, back to back. */
export async function requestLoad(send: () => Promise<Response>, concurrency = 32, perWorker = 40): Promise<LoadResult> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = 0; i < perWorker; i++) {
      const t0 = performance.now();
      const response = await send();
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`request failed with ${response.status}`);
      latencies.push(performance.now() - t0);
    }
  }));
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Runs each load `RUNS` times, interleaved, after 5 warm-up rounds (JIT, connection pools). */
async function sideBySide(loads: Record<string, () => Promise<LoadResult>>): Promise<Record<string, LoadResult[]>> {
  const results: Record<string, LoadResult[]> = Object.fromEntries(Object.keys(loads).map((name) => [name, []]));
  for (let i = 0; i < 5; i++) for (const load of Object.values(loads)) await load();
  for (let i = 0; i < RUNS; i++) for (const [name, load] of Object.entries(loads)) results[name]!.push(await load());
  return results;
}

/**
 * Relay throughput, deployment-like: each relay gets a core of its own (as it would get a machine), the upstream
 * and the load generator share the other. Unpinned, on two cores, the direct path would also get the relay's core.
 */
async function relayThroughput(): Promise<void> {
  const pinned = pinSelf(0);
  const sandbox = await startProcess(await bundle('src/sandbox/node.ts', 'sandbox'), { SANDBOX_PORT: '0' }, 0);
  const relayBundle = await bundle('src/relay/node.ts', 'relay');
  const nodeOauth = await startProcess(relayBundle, { ...relayEnvFor('oauth', sandbox.url), RELAY_PORT: '0' }, 1);
  const nodeBridge = await startProcess(relayBundle, { ...relayEnvFor('bridge', sandbox.url), RELAY_PORT: '0' }, 1);
  const workerOauth = await startWorkerdRelay(relayEnvFor('oauth', sandbox.url));
  const workerBridge = await startWorkerdRelay(relayEnvFor('bridge', sandbox.url));
  const workerPinned = pinWorkerd(1);
  try {
    const origin = extensionOrigin(PINNED_EXTENSION_ID);
    const basic = `Basic ${btoa(`${DEV_CLIENT.clientId}:${DEV_CLIENT.clientSecret}`)}`;
    const form = (token: string) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token });
    const mint = () => mintRefreshToken(sandbox.url);
    const viaRelay = (url: string) => (token: string) => fetch(`${url}/token`, { method: 'POST', headers: { Origin: origin }, body: form(token) });
    const tokens = await sideBySide({
      direct: () => refreshLoad((token) => fetch(`${sandbox.url}/oauth/token`, { method: 'POST', headers: { Authorization: basic }, body: form(token) }), mint),
      node: () => refreshLoad(viaRelay(nodeOauth.url), mint),
      workerd: () => refreshLoad(viaRelay(workerOauth.url), mint),
    });
    const place = pinned ? `; relays on core 1${workerPinned ? '' : ' (workerd unpinned)'}, sandbox and load generator on core 0` : '';
    const tokenMethod = `refresh_token exchanges: 32 concurrent rotation chains × 40 per run, runs interleaved after 5 warm-up rounds${place}`;
    const direct = reportLoad('token endpoint direct (sandbox)', tokens.direct!, tokenMethod);
    const node = reportLoad('token endpoint via relay on Node', tokens.node!, tokenMethod);
    const workerd = reportLoad('token endpoint via relay on workerd', tokens.workerd!, tokenMethod);
    report('relay on Node ÷ direct throughput', round(node.perSecond / direct.perSecond, 2), '×', 'target ≥ 0.8 (the relay’s cost; it calls the same upstream)');
    report('relay on workerd ÷ direct throughput', round(workerd.perSecond / direct.perSecond, 2), '×', 'same method');

    const user = SANDBOX_USERS[0]!;
    const emails = JSON.stringify(SANDBOX_EMAILS);
    const lookup = (url: string, authorization: string, headers: Record<string, string> = {}) => () => fetch(url, {
      method: 'POST', headers: { Authorization: authorization, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ email_ids: emails }),
    });
    const nodeToken = await bridgeAccessToken(nodeBridge.url);
    const workerToken = await bridgeAccessToken(workerBridge.url);
    const proxy = await sideBySide({
      direct: () => requestLoad(lookup(`${sandbox.url}/dev/api/contacts/search/email`, `Basic ${btoa(`${user.email}:${user.apiKey}`)}`)),
      node: () => requestLoad(lookup(`${nodeBridge.url}/agile/contacts/search/email`, `Bearer ${nodeToken}`, { Origin: origin })),
      workerd: () => requestLoad(lookup(`${workerBridge.url}/agile/contacts/search/email`, `Bearer ${workerToken}`, { Origin: origin })),
    });
    const proxyMethod = `batch lookups of the demo page's emails: 32 concurrent clients × 40 requests per run, runs interleaved after 5 warm-up rounds${place}`;
    const agile = reportLoad('Agile API direct (sandbox, Basic auth)', proxy.direct!, proxyMethod);
    const nodeProxy = reportLoad('Agile API via bridge proxy on Node', proxy.node!, proxyMethod);
    const workerProxy = reportLoad('Agile API via bridge proxy on workerd', proxy.workerd!, proxyMethod);
    report('bridge proxy on Node ÷ direct throughput', round(nodeProxy.perSecond / agile.perSecond, 2), '×', 'the proxy opens a sealed token and checks revocation per call');
    report('bridge proxy on workerd ÷ direct throughput', round(workerProxy.perSecond / agile.perSecond, 2), '×', 'revocation is a Durable Object call per request');
  } finally {
    await Promise.all([nodeOauth.stop(), nodeBridge.stop(), workerOauth.close(), workerBridge.close()]);
    await sandbox.stop();
  }
}

// ── main ────────────────────────────────────────────────────────────────────────────────────────────────────────
/** BENCH_ONLY=popup,relay runs just those sections (bundles, popup, scan, requests, coalescing, sidepanel, relay, attack). */
const only = new Set((process.env.BENCH_ONLY ?? 'bundles,popup,scan,requests,coalescing,sidepanel,relay,attack').split(',').map((name) => name.trim()));
console.log(`Benchmarks — ${RUNS} runs each, medians\n`);
if (only.has('bundles')) {
  console.log('Bundle sizes');
  await bundleSizes();
}
if (only.has('popup') || only.has('scan') || only.has('requests') || only.has('coalescing')) {
  await build({ mode: 'bench', logLevel: 'warn', root: ROOT });
  const stack = await startDevStack();
  const ext = await launchWithExtension({ dist: path.join(ROOT, 'dist-bench') });
  try {
    await configure(ext, { relayUrl: stack.relay.url, agile: stack.sandbox.url });
    const first = await openPopup(ext, `${stack.sandbox.url}/demo`);
    await signInThrough(ext, first, `${stack.sandbox.url}/oauth/authorize`, (consent) => consent.locator('#allow').click());
    await waitForSignIn(ext);
    await closeAfterLookup(first);
    if (only.has('popup')) {
      console.log('\nPopup time to contacts');
      await popupTimes(ext, stack, 'demo page (5 contacts)', `${stack.sandbox.url}/demo`);
      await popupTimes(ext, stack, '50 emails', `${stack.sandbox.url}/demo/many?n=50`);
    }
    if (only.has('scan')) {
      console.log('\nScan and popup on large and hostile pages');
      await scanTimes({ ext, stack, runs: RUNS, median, report });
    }
    if (only.has('requests')) {
      console.log('\nAgile CRM requests');
      await requestCounts(ext, stack);
    }
    if (only.has('coalescing')) {
      console.log('\nRefresh coalescing');
      await coalescing(ext, stack);
    }
  } finally {
    await ext.close();
    await stack.close();
  }
}
if (only.has('sidepanel')) {
  console.log('\nSide panel after a conversation change');
  await sidePanelTimes({ root: ROOT, runs: RUNS, median, report });
}
if (only.has('relay')) {
  console.log('\nRelay');
  await relayThroughput();
}
if (only.has('attack')) {
  console.log('\nRelay load held under attack');
  await loadHeld({ runs: RUNS, report });
}

const out = path.join(ROOT, 'bench', 'results', 'latest.json');
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), runs: RUNS, node: process.version, rows }, null, 2)}\n`);
console.log('\n| metric | value | unit | method |\n|---|---|---|---|');
for (const row of rows) console.log(`| ${row.metric} | ${row.value} | ${row.unit} | ${row.method} |`);
console.log(`\nWritten to ${path.relative(ROOT, out)}`);
