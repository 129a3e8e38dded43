/**
 * "Look up … in Agile CRM" on a selection or a mailto: link. The lookup is parked in `storage.session` and the
 * popup opened on it (`chrome.action.openPopup`), or a small window where that is not available.
 */
import * as v from 'valibot';
import type { PendingLookup } from '../shared/messages';
import { findPeople } from '../scanner/people';

export const MENU_SELECTION = 'lookup-selection';
export const MENU_LINK = 'lookup-link';
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

/** What a click asks for: the addresses in the selection or the link (every recipient), else the selected words as a search. */
export function pendingFromClick(info: Pick<chrome.contextMenus.OnClickData, 'menuItemId' | 'selectionText' | 'linkUrl'>): PendingLookup | null {
  const link = info.menuItemId === MENU_LINK && info.linkUrl && /^mailto:/i.test(info.linkUrl) ? info.linkUrl : null;
  const text = link ?? info.selectionText ?? '';
  const { emails } = findPeople([{ text, name: '', source: link ? 'mailto' : 'selection' }]);
  const query = emails.length > 0 || link ? '' : text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return emails.length > 0 || query ? { emails, query } : null;
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
  const pending = pendingFromClick(info);
  if (!pending) return;
  const parked = chrome.storage.session.set({ [KEY]: { ...pending, at: Date.now() } });
  parking = parked.catch(() => undefined);
  // An async function runs up to its first await at once, and makes a missing openPopup (Chrome < 127) a refusal.
  const open = async () => chrome.action.openPopup(tab?.windowId !== undefined ? { windowId: tab.windowId } : undefined);
  const shown = open().then(() => true, () => false);
  await parked;
  if (!(await shown)) {
    const popup = chrome.runtime.getManifest().action?.default_popup ?? 'src/popup/index.html';
    await chrome.windows.create({ url: chrome.runtime.getURL(`${popup}?window=1`), type: 'popup', width: 420, height: 640 });
  }
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
