/**
 * Page → people → contacts. Scans a tab on demand (activeTab + scripting) and answers a lookup either from the
 * cache (instant, possibly stale) or from Agile CRM (then refreshes the cache).
 */
import * as v from 'valibot';
import browser from 'webextension-polyfill';
import type { Contact } from '../shared/contact';
import { AppError } from '../shared/errors';
import type { LookupResult, PageEmail, PageScanResult } from '../shared/messages';
import { collectPageEmails } from '../scanner/collect';
import { findPeople } from '../scanner/people';
import type { AgileClient } from './agile-client';
import { contactCache } from './contact-cache';

/** What the injected scanner returns, checked: a page could have replaced any global it uses. */
const ScanSchema = v.object({
  title: v.pipe(v.string(), v.transform((title) => title.slice(0, 300))),
  candidates: v.pipe(v.array(v.object({
    text: v.string(),
    name: v.string(),
    source: v.picklist(['selection', 'attribute', 'mailto', 'text']),
  })), v.maxLength(5_000)),
});

export async function scanTab(tabId: number): Promise<PageScanResult> {
  let results: { result?: unknown }[];
  try {
    results = await browser.scripting.executeScript({ target: { tabId }, func: collectPageEmails });
  } catch {
    throw new AppError('no_page', 'This page can’t be read by extensions (browser pages and the Web Store are off limits). Search by name instead.');
  }
  const scan = v.safeParse(ScanSchema, results[0]?.result);
  if (!scan.success) throw new AppError('no_page', 'This page could not be scanned for email addresses. Reload it and try again.');
  return { title: scan.output.title, ...findPeople(scan.output.candidates) };
}

/** Found contacts once each (a contact may own several of the page's emails), in page order. */
function arrange(emails: readonly PageEmail[], known: ReadonlyMap<string, Contact | null>) {
  const found: Contact[] = [];
  const ids = new Set<string>();
  const missing: PageEmail[] = [];
  const pending: PageEmail[] = [];
  for (const entry of emails) {
    if (!known.has(entry.email)) {
      pending.push(entry);
      continue;
    }
    const contact = known.get(entry.email);
    if (!contact) missing.push(entry);
    else if (!ids.has(contact.id)) {
      ids.add(contact.id);
      found.push(contact);
    }
  }
  return { found, missing, pending };
}

export async function lookupFromCache(emails: readonly PageEmail[], webBase: string): Promise<LookupResult> {
  const entries = await contactCache.read(emails.map((entry) => entry.email));
  const known = new Map([...entries].map(([email, entry]) => [email, entry.contact]));
  const times = [...entries.values()].map((entry) => entry.at);
  return { ...arrange(emails, known), updatedAt: times.length > 0 ? Math.min(...times) : null, webBase, source: 'cache' };
}

/** Asks Agile CRM about these emails and refreshes the cache. */
export async function lookupFromAgile(agile: AgileClient, emails: readonly PageEmail[], webBase: string): Promise<LookupResult> {
  const addresses = emails.map((entry) => entry.email);
  const found = addresses.length > 0 ? await agile.findByEmails(addresses) : new Map<string, Contact>();
  const now = Date.now();
  // The answer goes back at once; the cache is written behind it.
  void contactCache.write(addresses, found, now).catch(() => undefined);
  const known = new Map<string, Contact | null>(addresses.map((email) => [email, found.get(email) ?? null]));
  return { ...arrange(emails, known), updatedAt: now, webBase, source: 'agile' };
}
