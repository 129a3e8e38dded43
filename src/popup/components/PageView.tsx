import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { Contact } from '../../shared/contact';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { SessionView } from '../../shared/messages';
import { send } from '../send';
import { relativeTime } from '../format';
import { useContactsPaintedMark } from '../paint-mark';
import { usePageLookup, type PageStart } from '../use-page-lookup';
import { ContactCard } from './ContactCard';
import { MissingList } from './MissingList';
import { Notice } from './Notice';
import { SearchBox } from './SearchBox';

interface Search {
  query: string;
  busy: boolean;
  results: Contact[] | null;
  error: ErrorInfo | null;
}

/** Signed in: the people on this page as Agile CRM knows them, a search box, and what is missing. */
export function PageView({ session, start, onSignedOut }: { session: SessionView; start: PageStart; onSignedOut(error: ErrorInfo | null): void }) {
  const { state, refresh, replaceContact } = usePageLookup(start, onSignedOut);
  const [search, setSearch] = useState<Search | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const webBase = state.result?.webBase ?? session.webBase ?? '';
  useContactsPaintedMark((state.result?.found.length ?? 0) > 0);

  const runSearch = async (query: string) => {
    setSearch({ query, busy: true, results: null, error: null });
    try {
      setSearch({ query, busy: false, results: await send({ type: 'search', query }), error: null });
    } catch (failure) {
      const error = toErrorInfo(failure);
      if (error.code === 'signed_out') return onSignedOut(error);
      setSearch({ query, busy: false, results: null, error });
    }
  };
  // Selected words from the context menu arrive as a search.
  useEffect(() => {
    if (state.query) void runSearch(state.query);
  }, [state.query]);

  const signOut = async () => {
    await send({ type: 'signOut' }).catch(() => undefined);
    onSignedOut(null);
  };

  const { result } = state;
  const cards = (contacts: Contact[]) => contacts.map((contact) => (
    <ContactCard key={contact.id} contact={contact} webBase={webBase} onChange={replaceContact} />
  ));

  return (
    <div class="page">
      <header class="bar">
        <h1 class="title">Agile CRM</h1>
        {session.user && <span class="user muted" title={session.user}>{session.user}</span>}
        <button type="button" class="btn btn-quiet" onClick={() => void browser.runtime.openOptionsPage()}>Settings</button>
        <button type="button" class="btn btn-quiet" onClick={signOut}>Sign out</button>
      </header>

      <SearchBox key={state.query} initial={state.query} busy={search?.busy ?? false} onSearch={runSearch} onClear={() => setSearch(null)} />

      <main>
        {search ? (
          <section aria-label={`Search results for ${search.query}`} aria-busy={search.busy}>
            {search.busy && <p class="muted" role="status">Searching Agile CRM…</p>}
            <Notice error={search.error} />
            {search.results && search.results.length === 0 && <p class="muted" role="status">No contacts match “{search.query}”.</p>}
            {search.results && cards(search.results)}
          </section>
        ) : (
          <section aria-label="People on this page" aria-busy={state.phase !== 'ready'}>
            <div class="status" role="status">
              {state.emails.length === 0 && !state.error && (
                <span>No email addresses on this page. Search by name above.</span>
              )}
              {result && (
                <span>
                  {result.found.length} in Agile CRM · {result.missing.length} not
                  {result.updatedAt !== null && ` · updated ${relativeTime(result.updatedAt)}`}
                </span>
              )}
              {!result && state.phase === 'looking-up' && <span>Looking up {state.emails.length} address{state.emails.length === 1 ? '' : 'es'}…</span>}
              {state.emails.length > 0 && (
                <button type="button" class="btn btn-quiet" onClick={() => void refresh()} disabled={state.refreshing} aria-label="Refresh from Agile CRM">
                  {state.refreshing ? 'Refreshing…' : 'Refresh'}
                </button>
              )}
            </div>
            <Notice error={state.error} />
            {state.staleBecause && result && (
              <Notice kind="info">
                Couldn’t refresh: {state.staleBecause.message} These results are from {result.updatedAt !== null ? relativeTime(result.updatedAt) : 'earlier'} and may be out of date.
              </Notice>
            )}
            {result && cards(result.found)}
            {added && <Notice kind="ok">{added}</Notice>}
            {result && (
              <MissingList
                people={result.missing}
                onAdded={(contact) => {
                  replaceContact(contact);
                  setAdded(`${contact.name} was added to Agile CRM.`);
                }}
              />
            )}
            {state.more > 0 && <p class="muted small">+{state.more} more addresses on this page not shown.</p>}
          </section>
        )}
      </main>
    </div>
  );
}
