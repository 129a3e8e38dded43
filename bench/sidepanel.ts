/**
 * The side panel after a conversation change, in the real extension: Gmail (the sandbox's Gmail-shaped page at
 * https://mail.google.com, followed) changes its fragment to another conversation, and the time runs from that change
 * — taken in the mail page — to the panel's first paint of that conversation's cards (the User Timing mark, whose
 * `detail` names the conversation). Warm: the conversation's people are in the contact cache; cold: the cache emptied
 * just before. The floor is src/bench/panel-floor.tsx shown in the same side panel: it hears the same tab event and
 * paints the same cards from `storage.session`.
 */
import type { Page } from 'puppeteer';
import { build } from 'vite';
import path from 'node:path';
import { startDevStack } from '../scripts/dev-stack';
import { configure, launchWithGrantedHosts, mailTab, openPopup, openSidePanelFrom, signInWithApiKey } from '../scripts/extension';
import { mailThreads } from '../src/sandbox/mail-fixtures';
import { CONTACTS_PAINTED } from '../src/popup/paint-mark';
import { conversationKey } from '../src/scanner/mail-sites';

export interface PanelBench {
  root: string;
  runs: number;
  median(values: number[]): number;
  report(metric: string, value: number | string, unit: string, method: string): void;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const gmail = (id: string) => `https://mail.google.com/mail/u/0/#inbox/${id}`;

/** Changes the mail page's conversation and returns when the panel page marked its cards, in ms from the change. */
async function change(mail: Page, panel: Page, id: string): Promise<number> {
  const key = conversationKey(gmail(id))!;
  const started = await mail.evaluate((next) => {
    const at = performance.timeOrigin + performance.now();
    location.hash = `#inbox/${next}`;
    return at;
  }, id);
  await panel.waitForFunction((mark, about) => performance.getEntriesByName(mark).some((entry) => (entry as PerformanceMark).detail === about),
    { timeout: 20_000, polling: 10 }, CONTACTS_PAINTED, key).catch(async (error) => {
    throw new Error(`${panel.url()} showed ${await panel.evaluate(() => document.body.innerText.slice(0, 300))} for ${key}: ${error}`);
  });
  const painted = await panel.evaluate((mark, about) => {
    const entry = performance.getEntriesByName(mark).filter((candidate) => (candidate as PerformanceMark).detail === about).pop()!;
    performance.clearMarks(mark);
    return performance.timeOrigin + entry.startTime;
  }, CONTACTS_PAINTED, key);
  return painted - started;
}

export async function sidePanelTimes({ root, runs, median, report }: PanelBench): Promise<void> {
  await build({ mode: 'bench', logLevel: 'warn', root });
  const stack = await startDevStack({ mode: 'bridge' });
  const ext = await launchWithGrantedHosts({ dist: path.join(root, 'dist-bench'), origins: ['https://mail.google.com/*'] });
  try {
    await configure(ext, { relayUrl: stack.relay.url, agile: stack.sandbox.url });
    await signInWithApiKey(ext, stack);
    const user = stack.sandbox.state.users[0]!;

    // Conversations with someone in Agile CRM, so each change paints cards.
    const threads = mailThreads(stack.sandbox.state.seed).filter((thread) => thread.expected.some((email) => stack.sandbox.state.contactByEmail(email)));
    const mail = await mailTab(ext, stack.sandbox.url, gmail(threads[0]!.gmailId));
    const popup = await openPopup(ext, mail.url());
    await popup.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh', { timeout: 20_000 });
    const panel = await openSidePanelFrom(ext, popup);
    const panelUrl = panel.url();
    await mail.bringToFront();
    // Visit each once: the cache holds them all (warm), and the floor's contacts are what the panel showed.
    for (const thread of [...threads.slice(1), threads[0]!]) await change(mail, panel, thread.gmailId);

    const worker = await ext.worker();
    const clearCache = () => worker.evaluate(async () => {
      const keys = Object.keys(await chrome.storage.local.get(null)).filter((key) => key.startsWith('contact:'));
      await chrome.storage.local.remove(keys);
    });
    await worker.evaluate(async (byKey) => {
      const stored = await chrome.storage.local.get(null);
      const floor: Record<string, unknown[]> = {};
      for (const [key, emails] of Object.entries(byKey)) {
        const seen = new Set<string>();
        floor[key] = emails.map((email) => (stored[`contact:${email.toLowerCase()}`] as { contact: { id: string } | null } | undefined)?.contact)
          .filter((contact): contact is { id: string } => !!contact && !seen.has(contact.id) && !!seen.add(contact.id));
      }
      await chrome.storage.session.set({ panelFloor: floor });
    }, Object.fromEntries(threads.map((thread) => [conversationKey(gmail(thread.gmailId))!, thread.expected])));

    const warm: number[] = [];
    const cold: number[] = [];
    const floor: number[] = [];
    const agile: number[] = [];
    let next = 0;
    const another = () => threads[++next % threads.length]!;
    // Warm first (every conversation cached by the visits above), then cold (the cache emptied before each change).
    for (let i = 0; i < runs; i++) warm.push(await change(mail, panel, another().gmailId));
    for (let i = 0; i < runs; i++) {
      await clearCache();
      const thread = another();
      cold.push(await change(mail, panel, thread.gmailId));
      const started = performance.now();
      await (await fetch(`${stack.sandbox.url}/dev/api/contacts/search/email`, {
        method: 'POST',
        headers: { Authorization: `Basic ${btoa(`${user.email}:${user.apiKey}`)}`, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email_ids: JSON.stringify(thread.expected) }),
      })).text();
      agile.push(performance.now() - started);
    }
    await panel.goto(panelUrl.replace('/src/sidepanel/index.html', '/src/bench/panel-floor.html'), { waitUntil: 'load' });
    for (let i = 0; i < runs; i++) floor.push(await change(mail, panel, another().gmailId));

    const method = 'Gmail-shaped page changes conversation (fragment) → side panel’s first paint of its cards (User Timing mark), medians';
    report('side panel after a conversation change: warm (cached)', round(median(warm)), 'ms', method);
    report('side panel after a conversation change: cold (empty cache)', round(median(cold)), 'ms', method);
    report('floor: the same change, cards from storage.session, in the side panel', round(median(floor)), 'ms', 'src/bench/panel-floor.tsx, same mark');
    report('sandbox: batch lookup answer for a conversation', round(median(agile)), 'ms', 'Node → sandbox POST /contacts/search/email on loopback');
    report('side panel warm ÷ floor', round(median(warm) / median(floor), 2), '×', 'target ≤ 1.25');
    report('side panel cold − floor − sandbox', round(median(cold) - median(floor) - median(agile)), 'ms', 'target ≤ 30');
  } finally {
    await ext.close();
    await stack.close();
  }
}
