/**
 * The service worker: the only part of the extension that talks to the network. It owns sign-in (auth.ts),
 * the tokens (token-store.ts), the Agile CRM client (agile-client.ts) and the contact cache, and answers the
 * popup and options pages through the message protocol in shared/messages.ts.
 *
 * Nothing here survives in globals alone: the worker is killed after 30 s idle, so state lives in storage.
 */
import { AppError, toErrorInfo } from '../shared/errors';
import { parseRequest, type PopupStart, type Reply, type Request, type Responses } from '../shared/messages';
import { SettingsError, type Settings } from '../shared/settings';
import { createAgileClient } from './agile-client';
import { getAccessToken, sessionView, signIn, signOut } from './auth';
import { contactCache } from './contact-cache';
import { handleMenuClick, registerMenus, takePendingLookup } from './context-menu';
import { lookupFromAgile, lookupFromCache, scanTab } from './lookup';
import { loadSettings, saveSettings } from './settings-store';

const agile = createAgileClient({ getAccessToken, sessionRejected: async () => void (await signOut()) });

async function webBase(): Promise<string> {
  const session = await sessionView();
  if (!session.signedIn || !session.webBase) throw new AppError('signed_out', 'Sign in to Agile CRM to look up contacts.');
  return session.webBase;
}

/**
 * The popup's first paint in one round trip: who is signed in, the people to look up (a parked context-menu
 * lookup, or a scan of the tab) and what the cache knows about them.
 */
async function startPopup(tabId: number | null): Promise<PopupStart> {
  const session = await sessionView();
  if (!session.signedIn || !session.webBase) return { session, page: null };
  const pending = await takePendingLookup();
  if (pending) {
    const cached = pending.emails.length > 0 ? await lookupFromCache(pending.emails, session.webBase) : null;
    return { session, page: { title: 'Selection', emails: pending.emails, more: 0, query: pending.query, cached, error: null } };
  }
  if (tabId === null) return { session, page: { title: '', emails: [], more: 0, query: '', cached: null, error: null } };
  try {
    const scan = await scanTab(tabId);
    const cached = scan.emails.length > 0 ? await lookupFromCache(scan.emails, session.webBase) : null;
    return { session, page: { ...scan, query: '', cached, error: null } };
  } catch (error) {
    return { session, page: { title: '', emails: [], more: 0, query: '', cached: null, error: toErrorInfo(error) } };
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
    case 'lookup':
      return request.source === 'cache'
        ? lookupFromCache(request.emails, await webBase())
        : lookupFromAgile(agile, request.emails, await webBase());
    case 'search':
      await webBase();
      return agile.search(request.query);
    case 'contactDetails': {
      const [notes, tasks, deals] = await Promise.all([agile.notes(request.id), agile.tasks(request.id), agile.deals(request.id)]);
      return { notes: notes.slice(0, 5), tasks: tasks.filter((task) => !task.complete), deals };
    }
    case 'addContact': {
      const contact = await agile.createContact(request.contact);
      await contactCache.put(contact);
      return contact;
    }
    case 'addNote':
      return agile.addNote(request.id, request.subject, request.description);
    case 'editTags': {
      const contact = await agile.editTags(request.id, request.tags, request.mode);
      await contactCache.put(contact);
      return contact;
    }
    case 'addTask':
      return agile.addTask(request.id, request.task);
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

/** For end-to-end tests and benchmarks: CDP cannot click a context menu, and the scan is timed in the worker. */
Object.assign(globalThis, { handleMenuClick, scanTab });
