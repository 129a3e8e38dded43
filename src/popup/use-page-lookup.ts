import { useCallback, useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { Contact } from '../shared/contact';
import { toErrorInfo, type ErrorInfo } from '../shared/errors';
import { send, type LookupResult, type PageEmail } from '../shared/messages';

export interface PageState {
  phase: 'scanning' | 'looking-up' | 'ready';
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
}

const INITIAL: PageState = { phase: 'scanning', title: '', emails: [], more: 0, query: '', result: null, error: null, staleBecause: null, refreshing: false };

/** Which tab this popup is about: the active tab of its window (the popup window itself has none to scan). */
async function activeTabId(): Promise<number | null> {
  if (new URLSearchParams(location.search).has('window')) return null;
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

/**
 * The popup's data flow: find the people (a parked context-menu lookup, or a scan of the tab), paint what the
 * cache knows at once, then ask Agile CRM and paint again (stale-while-revalidate).
 */
export function usePageLookup(onSignedOut: (error: ErrorInfo) => void) {
  const [state, setState] = useState<PageState>(INITIAL);
  const update = (patch: Partial<PageState>) => setState((previous) => ({ ...previous, ...patch }));

  const refresh = useCallback(async (emails: PageEmail[]) => {
    if (emails.length === 0) return;
    update({ refreshing: true });
    try {
      const result = await send({ type: 'lookup', emails, source: 'agile' });
      update({ result, phase: 'ready', staleBecause: null, error: null, refreshing: false });
    } catch (failure) {
      const error = toErrorInfo(failure);
      if (error.code === 'signed_out') return onSignedOut(error);
      setState((previous) => previous.result
        ? { ...previous, staleBecause: error, phase: 'ready', refreshing: false }
        : { ...previous, error, phase: 'ready', refreshing: false });
    }
  }, [onSignedOut]);

  useEffect(() => {
    void (async () => {
      try {
        const pending = await send({ type: 'takePendingLookup' });
        let found: { title: string; emails: PageEmail[]; more: number; query: string };
        if (pending) {
          found = { title: 'Selection', emails: pending.emails, more: 0, query: pending.query };
        } else {
          const tabId = await activeTabId();
          const scan = tabId === null ? { title: '', emails: [], more: 0 } : await send({ type: 'scanPage', tabId });
          found = { ...scan, query: '' };
        }
        update({ ...found, phase: found.emails.length > 0 ? 'looking-up' : 'ready' });
        if (found.emails.length === 0) return;
        const cached = await send({ type: 'lookup', emails: found.emails, source: 'cache' });
        if (cached.pending.length < found.emails.length) update({ result: cached });
        await refresh(found.emails);
      } catch (failure) {
        const error = toErrorInfo(failure);
        if (error.code === 'signed_out') return onSignedOut(error);
        update({ error, phase: 'ready' });
      }
    })();
  }, [refresh, onSignedOut]);

  /** A contact changed (tags) or was added: show Agile's version everywhere it appears. */
  const replaceContact = (contact: Contact) => setState((previous) => {
    if (!previous.result) return previous;
    const emails = new Set(contact.emails.map((email) => email.value.toLowerCase()));
    const exists = previous.result.found.some((item) => item.id === contact.id);
    return {
      ...previous,
      result: {
        ...previous.result,
        found: exists ? previous.result.found.map((item) => (item.id === contact.id ? contact : item)) : [...previous.result.found, contact],
        missing: previous.result.missing.filter((person) => !emails.has(person.email)),
      },
    };
  });

  return { state, refresh: () => refresh(state.emails), replaceContact };
}

