/**
 * Page → people → contacts. Scans a tab on demand (activeTab + scripting) and answers a lookup either from the
 * cache (instant, possibly stale) or from Agile CRM (then refreshes the cache). An address the lookup cannot use
 * is set apart as `unusable`; it never fails the others.
 */
import * as v from 'valibot';
import type { Contact } from '../shared/contact';
import { emailKey, isEmailAddress } from '../shared/email';
import { AppError } from '../shared/errors';
import type { LookupResult, PageEmail, PageScanResult } from '../shared/messages';
import type { CandidateSource } from '../scanner/collect';
import { PAGE_SCANNER, PAGE_SCRIPT_FILE } from '../scanner/page-file';
import type { AgileClient } from './agile-client';
import { contactCache } from './contact-cache';

/**
 * How long a scan may take. `executeScript` never settles on a tab showing `alert()` (or one stuck in a script):
 * past this the page is "busy" and the rep is told so, with search still at hand.
 */
export const SCAN_DEADLINE_MS = 2_000;

/** What the page scanner (scanner/page.ts) returns, checked: the page's own scripts share its DOM. */
const ScanSchema = v.object({
  title: v.pipe(v.string(), v.transform((title) => title.slice(0, 300))),
  contentType: v.optional(v.string(), ''),
  emails: v.pipe(v.array(v.object({
    email: v.pipe(v.string(), v.maxLength(1_000)),
    name: v.pipe(v.string(), v.transform((name) => name.slice(0, 200))),
  })), v.maxLength(200)),
  more: v.pipe(v.number(), v.integer(), v.minValue(0)),
  thread: v.optional(v.boolean(), false),
  account: v.optional(v.nullable(v.string()), null),
  awaiting: v.optional(v.boolean(), false),
});

export type PageScan = PageScanResult & { thread: boolean; account: string | null; awaiting: boolean };

const SEARCH_INSTEAD = 'Search by name or email above.';
const WEB_STORE = /^https:\/\/(chromewebstore\.google\.com|chrome\.google\.com\/webstore)\//;

/**
 * Why a tab could not be scanned, in the rep's words, by what is known of it (its URL when visible, else the browser's
 * error) and by who asked: a click on the toolbar button, the shortcut or the menu grants activeTab, so there a refusal
 * is about the page; the side panel's own clicks grant nothing, so there it is most likely the missing grant.
 */
async function pageProblem(tabId: number, error: unknown, from: ScanFrom): Promise<AppError> {
  const url = (await chrome.tabs.get(tabId).catch(() => null))?.url ?? '';
  const reason = error instanceof Error ? error.message : '';
  if (WEB_STORE.test(url) || /gallery cannot be scripted/i.test(reason)) {
    return new AppError('no_page', `The Chrome Web Store can’t be read by extensions. ${SEARCH_INSTEAD}`);
  }
  if (/^(chrome|edge|about|devtools|view-source|chrome-extension|moz-extension|resource):/i.test(url) || /cannot access a chrome/i.test(reason)) {
    return new AppError('no_page', `Browser pages can’t be read by extensions. ${SEARCH_INSTEAD}`);
  }
  if (from === 'panel' && /cannot access contents of the page/i.test(reason)) {
    return new AppError('no_access', 'Agile CRM reads a page only when you ask on it: click the Agile CRM button in the toolbar (or press Alt+Shift+A) on this page, then “Look up this page” here.');
  }
  // Firefox shows a PDF in its own viewer, which no extension may script: what the URL names is all there is to go by.
  if (/^(https?|file):[^?#]*\.pdf([?#]|$)/i.test(url)) {
    return new AppError('no_page', `This is a PDF, and the extension can’t read addresses inside PDFs. ${SEARCH_INSTEAD}`);
  }
  const fileAccess = await chrome.extension.isAllowedFileSchemeAccess().catch(() => true);
  if (url.startsWith('file:') && !fileAccess) {
    return new AppError('file_access', `This is a file on your computer. To read it, turn on “Allow access to file URLs” in the extension’s details. ${SEARCH_INSTEAD}`);
  }
  if (error instanceof AppError) {
    // A page that does not answer and whose address stays hidden even after the rep's click is one extensions may
    // not enter (a view-source: page never answers at all): not a busy page.
    return error.code === 'page_busy' && !url ? new AppError('no_page', `This page can’t be read by extensions. ${SEARCH_INSTEAD}`) : error;
  }
  if (!url && !fileAccess) {
    // Chrome hides a file page's address from an extension without file access: say both things it may be.
    return new AppError('file_access', `This page can’t be read. If it is a file on your computer (file://), turn on “Allow access to file URLs” in the extension’s details; browser pages are off limits to extensions. ${SEARCH_INSTEAD}`);
  }
  if (/showing error page/i.test(reason)) {
    return new AppError('no_page', `This page didn’t load (the browser shows its error page instead), so there is nothing on it to read. Reload it, or ${SEARCH_INSTEAD.charAt(0).toLowerCase()}${SEARCH_INSTEAD.slice(1)}`);
  }
  return new AppError('no_page', `This page can’t be read by extensions. ${SEARCH_INSTEAD}`);
}

const BUSY = 'This page isn’t answering right now — it may be showing a dialog, or still loading. Close any dialog on the page and try again, or search by name or email above.';

/** Who asks for a scan: a gesture on the page itself (`click`), or the side panel (no gesture reaches the page). */
export type ScanFrom = 'click' | 'panel';

/**
 * Reads a tab with the page scanner, within `deadlineMs`. `input` (a context-menu click's selection or link) is read
 * instead of the page. Throws an `AppError` in the rep's words when the page cannot be read.
 */
export async function scanTab(tabId: number, deadlineMs = SCAN_DEADLINE_MS, input?: { text: string; source: CandidateSource }, from: ScanFrom = 'click'): Promise<PageScan> {
  let results: chrome.scripting.InjectionResult<unknown>[];
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError('page_busy', BUSY)), deadlineMs);
    });
    // Immediately, not at document idle: a page still loading is read as far as it got.
    const ask = () => chrome.scripting.executeScript({
      target: { tabId },
      injectImmediately: true,
      func: (name: string, given: unknown) => {
        const scan = (globalThis as unknown as Record<string, unknown>)[name];
        return typeof scan === 'function' ? (scan as (input: unknown) => unknown)(given) : null;
      },
      args: [PAGE_SCANNER, input ? { ...input, name: '' } : null],
    });
    const injected = (async () => {
      const asked = await ask();
      if (asked[0]?.result != null) return asked;
      // Not in this document yet: the file reads the page as it loads; a menu click's text is read once it is there.
      const loaded = await chrome.scripting.executeScript({ target: { tabId }, files: [PAGE_SCRIPT_FILE], injectImmediately: true });
      return input ? ask() : loaded;
    })();
    results = await Promise.race([injected, late]);
  } catch (error) {
    throw await pageProblem(tabId, error, from);
  } finally {
    clearTimeout(timer);
  }
  const scan = v.safeParse(ScanSchema, results[0]?.result);
  if (!scan.success) throw new AppError('no_page', 'This page could not be scanned for email addresses. Reload it and try again.');
  if (scan.output.contentType === 'application/pdf') {
    throw new AppError('no_page', `This is a PDF, and the extension can’t read addresses inside PDFs. ${SEARCH_INSTEAD}`);
  }
  const { title, emails, more, thread, account, awaiting } = scan.output;
  return { title, emails, more, thread, account, awaiting };
}

/** The addresses a lookup can use, and the rest. */
function sort(emails: readonly PageEmail[]): { usable: PageEmail[]; unusable: PageEmail[] } {
  const usable: PageEmail[] = [];
  const unusable: PageEmail[] = [];
  for (const entry of emails) (isEmailAddress(entry.email) ? usable : unusable).push(entry);
  return { usable, unusable };
}

/** Found contacts once each (a contact may own several of the page's emails), in page order. */
function arrange(emails: readonly PageEmail[], known: ReadonlyMap<string, Contact | null>) {
  const found: Contact[] = [];
  const ids = new Set<string>();
  const missing: PageEmail[] = [];
  const pending: PageEmail[] = [];
  for (const entry of emails) {
    const key = emailKey(entry.email);
    if (!known.has(key)) {
      pending.push(entry);
      continue;
    }
    const contact = known.get(key);
    if (!contact) missing.push(entry);
    else if (!ids.has(contact.id)) {
      ids.add(contact.id);
      found.push(contact);
    }
  }
  return { found, missing, pending };
}

export async function lookupFromCache(emails: readonly PageEmail[], webBase: string): Promise<LookupResult> {
  const { usable, unusable } = sort(emails);
  const entries = await contactCache.read(usable.map((entry) => entry.email));
  const known = new Map([...entries].map(([email, entry]) => [email, entry.contact]));
  const times = [...entries.values()].map((entry) => entry.at);
  return { ...arrange(usable, known), unusable, updatedAt: times.length > 0 ? Math.min(...times) : null, webBase, source: 'cache' };
}

/** Asks Agile CRM about these emails and refreshes the cache. */
export async function lookupFromAgile(agile: AgileClient, emails: readonly PageEmail[], webBase: string): Promise<LookupResult> {
  const sorted = sort(emails);
  const { found, refused } = sorted.usable.length > 0
    ? await agile.findByEmails(sorted.usable.map((entry) => entry.email))
    : { found: new Map<string, Contact>(), refused: [] };
  const refusedKeys = new Set(refused.map(emailKey));
  const usable = sorted.usable.filter((entry) => !refusedKeys.has(emailKey(entry.email)));
  const unusable = [...sorted.unusable, ...sorted.usable.filter((entry) => refusedKeys.has(emailKey(entry.email)))];
  const addresses = usable.map((entry) => entry.email);
  const now = Date.now();
  // The answer goes back at once; the cache is written behind it (and never fails).
  void contactCache.write(addresses, found, now);
  const known = new Map<string, Contact | null>(addresses.map((email) => [emailKey(email), found.get(emailKey(email)) ?? null]));
  return { ...arrange(usable, known), unusable, updatedAt: now, webBase, source: 'agile' };
}
