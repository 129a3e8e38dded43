import { useEffect, useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { Contact } from '../../shared/contact';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { SessionView } from '../../shared/messages';
import { openSidePanel, sidePanelAvailable } from '../../shared/side-panel';
import { relativeTime } from '../format';
import { useContactsPaintedMark } from '../paint-mark';
import { send } from '../send';
import { IN_PANEL } from '../use-followed-tab';
import { usePageLookup, type PageStart } from '../use-page-lookup';
import { ContactCard } from './ContactCard';
import { FollowOffer } from './FollowOffer';
import { MissingList } from './MissingList';
import { Notice } from './Notice';
import { PageProblem } from './PageProblem';
import { SearchBox } from './SearchBox';
import { UnusableList } from './UnusableList';

interface Search {
  query: string;
  busy: boolean;
  results: Contact[] | null;
  error: ErrorInfo | null;
}

/** The popup's window, known before the click on "Keep open": the panel must open in the click itself. */
const popupWindow = !IN_PANEL && sidePanelAvailable() ? browser.windows.getCurrent().then((window) => window.id ?? null, () => null) : null;
let windowId: number | null = null;
void popupWindow?.then((id) => (windowId = id));

/** Re-renders every half minute, so "updated 2 min ago" stays true while the popup is open. */
function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/**
 * Signed in: the people on this page as Agile CRM knows them, a search box, and what is missing. `onReload` reads
 * the page again (after a dialog on it was closed).
 */
export function PageView({ session, start, onSignedOut, onReload }: {
  session: SessionView;
  start: PageStart;
  onSignedOut(error: ErrorInfo | null): void;
  onReload(): void;
}) {
  const { state, refresh, replaceContact } = usePageLookup(start, onSignedOut);
  const [search, setSearch] = useState<Search | null>(null);
  const [added, setAdded] = useState<Contact | null>(null);
  const [signingOut, setSigningOut] = useState(false);
  // Only the latest search may show its answer: a slower earlier one, or one the rep cleared, is dropped.
  const searchSeq = useRef(0);
  const now = useNow();
  const webBase = state.result?.webBase ?? session.webBase ?? '';
  // Marked from the state, not the props: for a render, the cards shown and the conversation they belong to agree.
  useContactsPaintedMark((state.result?.found.length ?? 0) > 0, state.key);

  const runSearch = async (query: string) => {
    const seq = ++searchSeq.current;
    setSearch({ query, busy: true, results: null, error: null });
    try {
      const results = await send({ type: 'search', query });
      if (seq === searchSeq.current) setSearch({ query, busy: false, results, error: null });
    } catch (failure) {
      const error = toErrorInfo(failure);
      if (error.code === 'signed_out') return onSignedOut(error);
      if (seq === searchSeq.current) setSearch({ query, busy: false, results: null, error });
    }
  };
  const clearSearch = () => {
    searchSeq.current++;
    setSearch(null);
  };
  // Selected words from the context menu arrive as a search.
  useEffect(() => {
    if (state.query) void runSearch(state.query);
  }, [state.query]);

  /** An edit shows everywhere the contact appears: the page's list and the search results. */
  const changed = (contact: Contact) => {
    replaceContact(contact);
    setSearch((previous) => previous?.results
      ? { ...previous, results: previous.results.map((item) => (item.id === contact.id ? contact : item)) }
      : previous);
  };

  const signOut = async () => {
    if (signingOut) return;
    setSigningOut(true);
    await send({ type: 'signOut' }).catch(() => undefined);
    onSignedOut(null);
  };

  const { result } = state;
  const cards = (contacts: Contact[]) => contacts.map((contact) => (
    <ContactCard key={contact.id} contact={contact} webBase={webBase} focus={contact.id === added?.id} onChange={changed} />
  ));

  return (
    <div class="page">
      <header class="bar">
        <h1 class="title">Agile CRM</h1>
        {session.user && <span class="user muted" title={session.user}>{session.user}</span>}
        {popupWindow && (
          <button type="button" class="btn btn-quiet" title="Open in the side panel, which stays open beside the page"
            onClick={() => windowId !== null && void openSidePanel(windowId).then(() => window.close(), () => undefined)}>Keep open</button>
        )}
        <button type="button" class="btn btn-quiet" onClick={() => void browser.runtime.openOptionsPage()}>Settings</button>
        <button type="button" class="btn btn-quiet" onClick={signOut} aria-disabled={signingOut}>{signingOut ? 'Signing out…' : 'Sign out'}</button>
      </header>

      <SearchBox key={state.query} initial={state.query} busy={search?.busy ?? false} onSearch={runSearch} onClear={clearSearch} />

      <main>
        {search ? (
          <section key="search" aria-label={`Search results for ${search.query}`}>
            {state.emails.length > 0 && (
              <button type="button" class="btn btn-quiet back" onClick={clearSearch}>← People on this page ({state.emails.length})</button>
            )}
            <div class="live" role="status" aria-live="polite">
              {search.busy && <p class="muted">Searching Agile CRM…</p>}
              {search.results && <p class="muted">{search.results.length === 0 ? `No contacts match “${search.query}”.` : `${search.results.length} contact${search.results.length === 1 ? '' : 's'} match “${search.query}”.`}</p>}
            </div>
            <Notice error={search.error} />
            {search.results && cards(search.results)}
          </section>
        ) : (
          // Keyed apart: a card in the search results and the same contact's card on the page are not one card.
          <section key="page" aria-label={start.thread ? 'People in this conversation' : 'People on this page'}>
            <FollowOffer site={start.site} onFollowed={onReload} />
            {start.unread && (
              <div class="unread">
                <p class="muted">{start.title ? `“${start.title}” is` : 'This page is'} read only when you ask.</p>
                <button type="button" class="btn btn-primary" onClick={onReload}>Look up this page</button>
              </div>
            )}
            <div class="status" hidden={start.unread}>
              <span role="status" aria-live="polite">
                {state.emails.length === 0 && !state.error && !start.unread && (start.thread ? 'No one else in this conversation. Search by name above.' : 'No email addresses on this page. Search by name above.')}
                {result && `${result.found.length} in Agile CRM · ${result.missing.length} not in Agile CRM`}
                {result && result.unusable.length > 0 && ` · ${result.unusable.length} not looked up`}
                {result && result.updatedAt !== null && !state.staleBecause && ` · updated ${relativeTime(result.updatedAt, now)}`}
                {!result && state.phase === 'looking-up' && `Looking up ${state.emails.length} address${state.emails.length === 1 ? '' : 'es'}…`}
              </span>
              {state.emails.length > 0 && (
                <button type="button" class="btn btn-quiet" onClick={() => !state.refreshing && void refresh()} aria-disabled={state.refreshing} aria-label="Refresh from Agile CRM">
                  {state.refreshing ? 'Refreshing…' : 'Refresh'}
                </button>
              )}
            </div>
            <PageProblem error={state.error} onRetry={onReload} />
            {state.staleBecause && result && (
              <Notice kind="info">
                Couldn’t refresh: {state.staleBecause.message} Showing what Agile CRM said {result.updatedAt !== null ? relativeTime(result.updatedAt, now) : 'earlier'}; it may be out of date.
              </Notice>
            )}
            {added && <Notice kind="ok">{added.name} was added to Agile CRM.</Notice>}
            {result && cards(result.found)}
            {result && (
              <MissingList
                people={result.missing}
                onAdded={(contact) => {
                  replaceContact(contact);
                  setAdded(contact);
                }}
              />
            )}
            {result && <UnusableList people={result.unusable} />}
            {state.more > 0 && <p class="muted small">+{state.more} more addresses on this page not shown.</p>}
          </section>
        )}
      </main>
    </div>
  );
}
