import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Contact } from '../shared/contact';
import { toErrorInfo, type ErrorInfo } from '../shared/errors';
import type { LookupResult, PageEmail, PopupStart } from '../shared/messages';
import { withEdits } from './lookup-edits';
import { send } from './send';

export type PageStart = NonNullable<PopupStart['page']>;

export interface PageState {
  phase: 'looking-up' | 'ready';
  title: string;
  emails: PageEmail[];
  more: number;
  /** Selected words from the context menu, to search by name. */
  query: string;
  result: LookupResult | null;
  /** The page itself could not be read, or the first lookup failed with nothing cached. */
  error: ErrorInfo | null;
  /** A refresh failed while cached results are on screen: they may be out of date. */
  staleBecause: ErrorInfo | null;
  refreshing: boolean;
  /** The followed conversation these people belong to (side panel), as `start.key`. */
  key: string | null;
}

function initialState(start: PageStart): PageState {
  const cached = start.cached && start.cached.pending.length < start.emails.length ? start.cached : null;
  return {
    phase: start.emails.length > 0 ? 'looking-up' : 'ready',
    title: start.title,
    emails: start.emails,
    more: start.more,
    query: start.query,
    result: cached,
    error: start.error,
    staleBecause: null,
    refreshing: start.emails.length > 0,
    key: start.key ?? null,
  };
}

/**
 * The popup's data flow after its first paint (what the worker's `openPopup` answered from the cache): ask Agile
 * CRM for the page's people and paint again — stale-while-revalidate — and keep edits in step.
 */
export function usePageLookup(start: PageStart, onSignedOut: (error: ErrorInfo) => void) {
  // The state belongs to the page it was made for. When the side panel moves to another page, the new page's people
  // are shown in the very render that receives it (no frame with the old ones), updated in place rather than
  // remounted: forms of contacts still on the page keep what the rep is typing.
  const [held, setHeld] = useState(() => ({ start, state: initialState(start) }));
  const state = held.start === start ? held.state : initialState(start);
  const shown = useRef(start);
  shown.current = start;
  // Contacts the rep changed or added here. A lookup that was already on its way when they did would bring the
  // old versions back, so every fresh answer is passed through these edits.
  const edits = useRef(new Map<string, Contact>());

  /** Changes the state of page `about`; dropped when another page is shown by then (a late answer). */
  const update = useCallback((about: PageStart, change: (previous: PageState) => PageState) => setHeld((previous) => {
    if (about !== shown.current) return previous;
    return { start: about, state: change(previous.start === about ? previous.state : initialState(about)) };
  }), []);

  const refresh = useCallback(async (emails: PageEmail[], about: PageStart) => {
    if (emails.length === 0) return;
    update(about, (previous) => ({ ...previous, refreshing: true }));
    try {
      const result = withEdits(await send({ type: 'lookup', emails, source: 'agile' }), edits.current.values());
      update(about, (previous) => ({ ...previous, result, phase: 'ready', staleBecause: null, error: null, refreshing: false }));
    } catch (failure) {
      const error = toErrorInfo(failure);
      if (error.code === 'signed_out') return onSignedOut(error);
      update(about, (previous) => previous.result
        ? { ...previous, staleBecause: error, phase: 'ready', refreshing: false }
        : { ...previous, error, phase: 'ready', refreshing: false });
    }
  }, [onSignedOut, update]);

  useEffect(() => {
    void refresh(start.emails, start);
  }, [start, refresh]);

  /** A contact changed (tags) or was added: show Agile's version everywhere it appears. */
  const replaceContact = (contact: Contact) => {
    edits.current.set(contact.id, contact);
    update(shown.current, (previous) => (previous.result ? { ...previous, result: withEdits(previous.result, [contact]) } : previous));
  };

  return { state, refresh: () => refresh(state.emails, shown.current), replaceContact };
}
