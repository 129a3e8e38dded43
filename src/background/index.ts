/**
 * The service worker: the only part of the extension that talks to the network. It owns sign-in (auth.ts),
 * the tokens (token-store.ts), the Agile CRM client (agile-client.ts) and the contact cache, and answers the
 * popup and options pages through the message protocol in shared/messages.ts.
 *
 * Nothing here survives in globals alone: the worker is killed after 30 s idle, so state lives in storage.
 */
import { AppError, toErrorInfo } from '../shared/errors';
import { emailKey } from '../shared/email';
import { parseRequest, type LookupResult, type PageEmail, type PopupStart, type Reply, type Request, type Responses, type SessionView, type SiteOffer } from '../shared/messages';
import { SettingsError, type Settings } from '../shared/settings';
import { openSidePanel } from '../shared/side-panel';
import { conversationKey, mailSiteOf } from '../scanner/mail-sites';
import { contactDraftKey, parseDraft, type Draft } from '../popup/drafts-parse';
import { createAgileClient } from './agile-client';
import { getAccessToken, sessionView, signIn, signOut } from './auth';
import { contactCache } from './contact-cache';
import { handleMenuClick, hasPendingLookup, registerMenus, takePendingLookup } from './context-menu';
import { createFollow } from './follow';
import { lookupFromAgile, lookupFromCache, scanTab, type PageScan } from './lookup';
import { loadSettings, saveSettings } from './settings-store';

const agile = createAgileClient({ getAccessToken, sessionRejected: async () => void (await signOut()) });

async function webBase(): Promise<string> {
  const session = await sessionView();
  if (!session.signedIn || !session.webBase) throw new AppError('signed_out', 'Sign in to Agile CRM to look up contacts.');
  return session.webBase;
}

/** The people to show: the signed-in rep (the session's address, the account the mail site names) left out. */
function others(scan: PageScan, session: SessionView): PageEmail[] {
  const own = new Set([session.user, scan.account].filter((address): address is string => !!address?.includes('@')).map(emailKey));
  return own.size === 0 ? scan.emails : scan.emails.filter((person) => !own.has(emailKey(person.email)));
}

const noPage = { title: '', emails: [], more: 0, query: '', cached: null, error: null };

/** The origins the extension holds, asked once and again after every grant or revocation. */
let grantedNow: Promise<string[]> | null = null;
function granted(): Promise<string[]> {
  grantedNow ??= chrome.permissions.getAll().then((all) => all.origins ?? [], () => []);
  return grantedNow;
}

/**
 * Agile CRM's answer for a list of addresses, one request at a time per list: the badge and the side panel ask for
 * the same conversation at the same moment.
 */
const asking = new Map<string, Promise<LookupResult>>();
function lookupAgile(emails: readonly PageEmail[], webBase: string): Promise<LookupResult> {
  const key = `${webBase} ${JSON.stringify(emails)}`;
  let answer = asking.get(key);
  if (!answer) {
    answer = lookupFromAgile(agile, emails, webBase).finally(() => asking.delete(key));
    asking.set(key, answer);
  }
  return answer;
}

/** The mail site of a URL the extension can see, and whether the rep lets it follow that site. */
async function siteOffer(url: string | undefined): Promise<SiteOffer | null> {
  const site = mailSiteOf(url);
  return site ? { origin: site.origin, label: site.label, host: site.host, followed: (await granted()).includes(site.origin) } : null;
}

async function withCache(scan: PageScan, session: SessionView & { webBase: string }) {
  const emails = others(scan, session);
  const cached = emails.length > 0 ? await lookupFromCache(emails, session.webBase) : null;
  return { title: scan.title, emails, more: scan.more, thread: scan.thread, query: '', cached, error: null };
}

const follow = createFollow({
  scan: (tabId) => scanTab(tabId),
  area: () => chrome.storage.session,
  grantedOrigins: granted,
  async badge(tabId, found) {
    await chrome.action.setBadgeText({ tabId, text: found === null ? '' : String(found) }).catch(() => undefined);
  },
  async count(scan, onCount) {
    const session = await sessionView();
    if (!session.signedIn || !session.webBase) return;
    const emails = others(scan, session);
    onCount((await lookupFromCache(emails, session.webBase)).found.length);
    onCount((await lookupAgile(emails, session.webBase)).found.length);
  },
});

/**
 * A write is done: the draft it was sent from goes, here in the worker — the page that sent it may be closed by now
 * (any click outside the popup closes it), and a draft left behind would come back to be sent twice. A draft typed on
 * since (its fields, trimmed as the schema trims them, no longer those sent) stays. Never fails the write.
 */
async function draftSent(key: string, sent: (fields: Draft['fields']) => boolean): Promise<void> {
  const name = `draft:${key}`;
  try {
    const draft = parseDraft((await chrome.storage.session.get(name))[name]);
    if (draft && sent(draft.fields)) await chrome.storage.session.remove(name);
  } catch {
    // The page clears it too, when it is still open.
  }
}
const same = (fields: Draft['fields'], sent: Record<string, string>) => Object.entries(sent).every(([name, value]) => (fields[name] ?? '').trim() === value);
const tagList = (text: string | undefined) => (text ?? '').split(',').map((tag) => tag.trim()).filter(Boolean).join(',');

/**
 * The popup's first paint in one round trip: who is signed in, the people to look up (a parked context-menu
 * lookup, or a scan of the tab) and what the cache knows about them.
 */
async function startPopup(tabId: number | null): Promise<PopupStart> {
  const [tab, parked] = await Promise.all([tabId === null ? null : chrome.tabs.get(tabId).catch(() => null), hasPendingLookup()]);
  // The read first, the longest step, while the session is looked at. The popup was opened by a click on this tab
  // (activeTab); a followed conversation's read is shared with the badge. A parked menu lookup reads no page.
  const reading = tabId === null || parked ? Promise.resolve(null) : follow.scanFollowed(tabId, tab?.url).then((scan) => scan ?? scanTab(tabId));
  reading.catch(() => undefined);
  const [session, site] = await Promise.all([sessionView(), siteOffer(tab?.url)]);
  if (!session.signedIn || !session.webBase) return { session, page: null };
  const pending = await takePendingLookup();
  if (pending) {
    const cached = pending.emails.length > 0 ? await lookupFromCache(pending.emails, session.webBase) : null;
    return { session, page: { title: 'Selection', emails: pending.emails, more: 0, query: pending.query, cached, error: null } };
  }
  try {
    const scan = await reading;
    if (!scan) return { session, page: noPage };
    return { session, page: { ...(await withCache(scan, { ...session, webBase: session.webBase })), site } };
  } catch (error) {
    return { session, page: { ...noPage, error: toErrorInfo(error), site } };
  }
}

/**
 * The side panel's paint for the tab it shows: a followed site's conversation (read once per conversation), the page
 * when the rep asked (`read`), else nothing read — the panel then offers "Look up this page".
 */
async function startPanel(tabId: number | null, read: boolean): Promise<PopupStart> {
  const tab = tabId === null ? null : await chrome.tabs.get(tabId).catch(() => null);
  // The read first, the longest step, while the session is looked at: its result is not shown when signed out.
  const reading = tabId === null ? Promise.resolve(null)
    : follow.scanFollowed(tabId, tab?.url, read).then((scan) => scan ?? (read ? scanTab(tabId, undefined, undefined, 'panel') : null));
  reading.catch(() => undefined);
  const [session, site] = await Promise.all([sessionView(), siteOffer(tab?.url)]);
  if (!session.signedIn || !session.webBase) return { session, page: null };
  try {
    const scan = await reading;
    if (!scan) return { session, page: { ...noPage, title: tab?.title ?? '', unread: tabId !== null && !site?.followed, site, tabId } };
    const key = scan.thread && site?.followed ? conversationKey(tab?.url) : null;
    return { session, page: { ...(await withCache(scan, { ...session, webBase: session.webBase })), site, tabId, key } };
  } catch (error) {
    return { session, page: { ...noPage, error: toErrorInfo(error), site, tabId } };
  }
}

async function handle(request: Request): Promise<Responses[Request['type']]> {
  switch (request.type) {
    case 'getSession':
      return sessionView();
    case 'signIn':
      return signIn();
    case 'signOut':
      return signOut();
    case 'openPopup':
      return startPopup(request.tabId);
    case 'openPanel':
      return startPanel(request.tabId, request.read);
    case 'lookup':
      return request.source === 'cache'
        ? lookupFromCache(request.emails, await webBase())
        : lookupAgile(request.emails, await webBase());
    case 'search':
      await webBase();
      return agile.search(request.query);
    case 'contactDetails': {
      const [notes, tasks, deals] = await Promise.all([agile.notes(request.id), agile.tasks(request.id), agile.deals(request.id)]);
      return { notes: notes.slice(0, 5), tasks: tasks.filter((task) => !task.complete), deals };
    }
    case 'addContact': {
      const contact = await agile.createContact(request.contact);
      const { email, tags, ...fields } = request.contact;
      await draftSent(contactDraftKey(email), (kept) => same(kept, fields) && tagList(kept.tags) === tags.join(','));
      await contactCache.put(contact);
      return contact;
    }
    case 'addNote': {
      const note = await agile.addNote(request.id, request.subject, request.description);
      await draftSent(`note:${request.id}`, (kept) => same(kept, { subject: request.subject, description: request.description }));
      return note;
    }
    case 'editTags': {
      const contact = await agile.editTags(request.id, request.tags, request.mode);
      if (request.mode === 'add') await draftSent(`tags:${request.id}`, (kept) => tagList(kept.tags) === request.tags.join(','));
      await contactCache.put(contact);
      return contact;
    }
    case 'addTask': {
      const task = await agile.addTask(request.id, request.task);
      const { subject, type, priority } = request.task;
      await draftSent(`task:${request.id}`, (kept) => same(kept, { subject, type, priority }));
      return task;
    }
    case 'getSettings':
      return loadSettings();
    case 'saveSettings': {
      const before = await loadSettings();
      let saved: Settings;
      try {
        saved = await saveSettings(request.settings);
      } catch (error) {
        if (error instanceof SettingsError) throw new AppError('bad_input', error.message, error.field);
        throw error;
      }
      // A sign-in belongs to the relay and account it was made with: another one means signing in again.
      if ((saved.relayUrl !== before.relayUrl || saved.agile !== before.agile) && (await sessionView()).signedIn) await signOut();
      return saved;
    }
    case 'clearCache':
      await contactCache.clear();
      return null;
  }
}

/** Only the extension's own pages may ask: web pages cannot reach this listener, and content scripts are not used. */
function fromExtensionPage(sender: chrome.runtime.MessageSender): boolean {
  return sender.id === chrome.runtime.id && !!sender.url?.startsWith(chrome.runtime.getURL(''));
}

chrome.runtime.onMessage.addListener((message: unknown, sender, sendResponse: (reply: Reply<unknown>) => void) => {
  if (!fromExtensionPage(sender)) return false;
  (async () => {
    try {
      sendResponse({ ok: true, value: await handle(parseRequest(message)) });
    } catch (error) {
      sendResponse({ ok: false, error: toErrorInfo(error) });
    }
  })();
  return true;
});

// The refresh token and cached contacts live in storage.local, which scripts injected into pages could otherwise
// read: keep every area to the extension's own pages and worker (storage.session is already). Firefox has no
// setAccessLevel: its storage areas are never exposed to content scripts it did not declare.
void chrome.storage.local.setAccessLevel?.({ accessLevel: 'TRUSTED_CONTEXTS' }).catch(() => undefined);

registerMenus();
chrome.contextMenus.onClicked.addListener((info, tab) => void handleMenuClick(info, tab));
// A command is a user gesture: the panel opens at once, before anything is awaited.
chrome.commands.onCommand.addListener((command, tab) => {
  if (command === 'open-side-panel' && tab?.windowId !== undefined) void openSidePanel(tab.windowId).catch(() => undefined);
});

// Following: the URL of a tab is visible here only on sites the extension holds (no `tabs` permission), so only
// followed sites are ever read without a click.
chrome.tabs.onActivated.addListener(({ tabId }) => void chrome.tabs.get(tabId).then((tab) => follow.tabChanged(tabId, tab.url), () => undefined));
// Read once the document is there: a single-page app's new URL on a loaded tab, or a navigation that completed.
chrome.tabs.onUpdated.addListener((tabId, change, tab) => {
  if ((change.url !== undefined || change.status === 'complete') && tab.status === 'complete') void follow.tabChanged(tabId, tab.url);
});
chrome.tabs.onRemoved.addListener((tabId) => void follow.tabClosed(tabId));
// A site just granted is followed at once in the tabs showing it.
chrome.permissions.onAdded.addListener(() => {
  grantedNow = null;
  void follow.forget().then(async () => {
    for (const tab of await chrome.tabs.query({ active: true })) if (tab.id !== undefined) await follow.tabChanged(tab.id, tab.url);
  });
});
chrome.permissions.onRemoved.addListener(() => {
  grantedNow = null;
  void follow.forget();
});

/** For end-to-end tests and benchmarks: CDP cannot click a context menu, and the scan is timed in the worker. */
Object.assign(globalThis, { handleMenuClick, scanTab, follow });
