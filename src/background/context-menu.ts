/**
 * "Look up … in Agile CRM" on a selection or a mailto: link, and "Open the Agile CRM side panel". A lookup reads
 * what was clicked with the page scanner (the click grants activeTab), is parked in `storage.session` and the popup
 * opened on it (`chrome.action.openPopup`), or a small window where that is not available.
 */
import * as v from 'valibot';
import type { PendingLookup } from '../shared/messages';
import { openSidePanel, sidePanelAvailable } from '../shared/side-panel';
import type { CandidateSource } from '../scanner/collect';
import { scanTab } from './lookup';

export const MENU_SELECTION = 'lookup-selection';
export const MENU_LINK = 'lookup-link';
export const MENU_PANEL = 'open-side-panel';
const KEY = 'pendingLookup';
/** A parked lookup older than this was not for the popup the rep is opening now. */
const PENDING_TTL_MS = 60_000;

const Stored = v.object({
  emails: v.array(v.object({ email: v.string(), name: v.string() })),
  query: v.string(),
  at: v.number(),
});

const MENUS: (chrome.contextMenus.CreateProperties & { id: string })[] = [
  { id: MENU_SELECTION, title: 'Look up “%s” in Agile CRM', contexts: ['selection'] },
  { id: MENU_LINK, title: 'Look up this address in Agile CRM', contexts: ['link'], targetUrlPatterns: ['mailto:*'] },
  ...(sidePanelAvailable() ? [{ id: MENU_PANEL, title: 'Open the Agile CRM side panel', contexts: ['page'] as ['page'] }] : []),
];

/**
 * Makes sure the menu items exist, as they are now. Called at every start of the worker, not only at install:
 * `onInstalled` does not fire when the extension is enabled again, and items lost then (or at any other time) would
 * stay lost until the next update. Creating an item that is already there fails with a duplicate id; it is then
 * brought up to date instead, so any number of calls, in any order, leave exactly these items.
 */
export function registerMenus(): void {
  for (const { id, ...properties } of MENUS) {
    chrome.contextMenus.create({ id, ...properties }, () => {
      if (chrome.runtime.lastError) chrome.contextMenus.update(id, properties, () => void chrome.runtime.lastError);
    });
  }
}

/** What a click gives to read: every recipient of a mailto: link, else the selected text. */
export function menuInput(info: Pick<chrome.contextMenus.OnClickData, 'menuItemId' | 'selectionText' | 'linkUrl'>): { text: string; source: CandidateSource } | null {
  if (info.menuItemId === MENU_LINK && info.linkUrl && /^mailto:/i.test(info.linkUrl)) return { text: info.linkUrl, source: 'mailto' };
  return info.selectionText ? { text: info.selectionText, source: 'selection' } : null;
}

/** The lookup being parked by the last click, which the popup it opens must find. */
let parking: Promise<unknown> = Promise.resolve();

/**
 * The context-menu handler, exported so tests can call it: CDP cannot click a context menu.
 *
 * `openPopup` is called before anything is awaited: Firefox lets it open the popup only while the click is being
 * handled (a user action), which ends at the first `await`. The popup then waits for the lookup to be parked.
 *
 * @example chrome.contextMenus.onClicked.addListener(handleMenuClick);
 */
export async function handleMenuClick(info: chrome.contextMenus.OnClickData, tab?: chrome.tabs.Tab): Promise<void> {
  if (info.menuItemId === MENU_PANEL) {
    // First, before anything is awaited: the click is the user gesture the panel needs.
    if (tab?.windowId !== undefined) await openSidePanel(tab.windowId);
    return;
  }
  const input = menuInput(info);
  if (!input) return;
  const parked = park(input, tab?.id);
  parking = parked.catch(() => undefined);
  // An async function runs up to its first await at once, and makes a missing openPopup (Chrome < 127) a refusal.
  const open = async () => chrome.action.openPopup(tab?.windowId !== undefined ? { windowId: tab.windowId } : undefined);
  const shown = open().then(() => true, () => false);
  const something = await parked.catch(() => false);
  if (!(await shown) && something) {
    const popup = chrome.runtime.getManifest().action?.default_popup ?? 'src/popup/index.html';
    await chrome.windows.create({ url: chrome.runtime.getURL(`${popup}?window=1`), type: 'popup', width: 420, height: 640 });
  }
}

/**
 * Reads what was clicked with the page scanner, by the one definition of an address, and parks it; where no script
 * may run (a PDF, a browser page) the selected words become a search instead. False when there is nothing to look up.
 */
async function park(input: { text: string; source: CandidateSource }, tabId: number | undefined): Promise<boolean> {
  const emails = tabId !== undefined ? await scanTab(tabId, undefined, input).then((scan) => scan.emails, () => []) : [];
  const query = emails.length > 0 || input.source === 'mailto' ? '' : input.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  if (emails.length === 0 && !query) return false;
  const pending: PendingLookup = { emails, query };
  await chrome.storage.session.set({ [KEY]: { ...pending, at: Date.now() } });
  return true;
}

/** Whether a lookup is parked for the popup opening now (it then reads no page). */
export async function hasPendingLookup(now = Date.now()): Promise<boolean> {
  await parking;
  const parsed = v.safeParse(Stored, (await chrome.storage.session.get(KEY))[KEY]);
  return parsed.success && now - parsed.output.at <= PENDING_TTL_MS;
}

/** The popup takes the parked lookup once. */
export async function takePendingLookup(now = Date.now()): Promise<PendingLookup | null> {
  await parking;
  const stored = await chrome.storage.session.get(KEY);
  await chrome.storage.session.remove(KEY);
  const parsed = v.safeParse(Stored, stored[KEY]);
  if (!parsed.success || now - parsed.output.at > PENDING_TTL_MS) return null;
  return { emails: parsed.output.emails, query: parsed.output.query };
}
