/**
 * What the rep is typing — a note, a task, tags, a new contact — kept in `storage.session` until it is sent or
 * discarded, so it survives the popup closing (any click outside it), the worker restarting and the side panel moving
 * to another conversation, and comes back where it was, in the popup and the side panel alike. A write that failed
 * stays, with its error. `storage.session` is the extension's own (its pages and worker; never content scripts) and
 * is emptied when the browser closes.
 *
 * Every draft is read once as the page opens (`loadDrafts`), so forms render with it at once; each is checked as it
 * is read back (storage is a boundary), and one that does not check out is dropped.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { contactDraftKey, parseDraft, type Draft } from './drafts-parse';

export { contactDraftKey };

const PREFIX = 'draft:';

const drafts = new Map<string, Draft>();

/**
 * Reads every draft (once per page, before the first render of a form): by their names where the browser lists names
 * (`getKeys`, Chrome 130+), so the page does not read the rest of the session (the worker's access token).
 */
export const loadDrafts: Promise<void> = (async () => {
  const area = browser.storage.session as typeof browser.storage.session & { getKeys?(): Promise<string[]> };
  const names = area.getKeys ? (await area.getKeys()).filter((name) => name.startsWith(PREFIX)) : null;
  const stored = names?.length === 0 ? {} : await area.get(names);
  for (const [key, value] of Object.entries(stored)) {
    const draft = key.startsWith(PREFIX) ? parseDraft(value) : null;
    if (draft) drafts.set(key.slice(PREFIX.length), draft);
  }
})().catch(() => undefined);

/** What a draft says, the same however storage orders its keys. */
const said = (draft: Draft | null): string => (draft ? JSON.stringify([Object.entries(draft.fields).sort(([a], [b]) => (a < b ? -1 : 1)), draft.error]) : 'null');
/** This page's own writes not heard back yet, per draft and in order: their echo is not news to this page. */
const echoes = new Map<string, string[]>();
/** The forms showing each draft here, to tell when another page (the popup, the panel) changed it. */
const shown = new Map<string, Set<(draft: Draft | null) => void>>();

/**
 * Another page's writes — a note typed in the popup while the side panel stays open, a draft sent or discarded there —
 * reach this page's drafts and the forms showing them, so no page writes over what another kept.
 */
browser.storage.onChanged.addListener((changes, area) => {
  if (area !== 'session') return;
  for (const [name, change] of Object.entries(changes)) {
    if (!name.startsWith(PREFIX)) continue;
    const key = name.slice(PREFIX.length);
    const draft = change.newValue === undefined ? null : parseDraft(change.newValue);
    if (change.newValue !== undefined && !draft) continue;
    // Heard in the order written; an own write that changed nothing (or removed nothing) is never heard back.
    const own = echoes.get(key) ?? [];
    const echo = own.indexOf(said(draft));
    if (echo !== -1) {
      own.splice(0, echo + 1);
      continue;
    }
    if (draft) drafts.set(key, draft);
    else drafts.delete(key);
    shown.get(key)?.forEach((show) => show(draft));
  }
});

/** Whether a draft is kept under `key` (a card opens the form that holds one). */
export const hasDraft = (key: string): boolean => drafts.has(key);

function store(key: string, draft: Draft | null): void {
  if (draft) drafts.set(key, draft);
  else drafts.delete(key);
  const echo = said(draft);
  const own = echoes.get(key) ?? [];
  echoes.set(key, [...own, echo]);
  // Nothing to tell the rep if this fails: the form still holds the text (and no echo will come).
  void (draft ? browser.storage.session.set({ [PREFIX + key]: draft }) : browser.storage.session.remove(PREFIX + key)).catch(() => {
    const waiting = echoes.get(key) ?? [];
    if (waiting.includes(echo)) waiting.splice(waiting.indexOf(echo), 1);
  });
}

/**
 * A form's fields, kept as a draft under `key` as they are typed. Changes merge into the latest fields, not the last
 * render's: two input events before a render (autofill, a paste into several fields, a script) both count.
 *
 * @example const draft = useDraft(`note:${id}`, { subject: '', description: '' });
 * draft.set({ subject: 'Call back' }); … send(draft.current()); … draft.failed('Agile CRM is down.'); … draft.clear();
 */
export function useDraft<T extends Record<string, string>>(key: string, empty: T) {
  const [draft, setDraft] = useState<{ fields: T; error: string | null }>(() => {
    const kept = drafts.get(key);
    return kept ? { fields: { ...empty, ...kept.fields } as T, error: kept.error } : { fields: empty, error: null };
  });
  const latest = useRef(draft);
  // Another page changed this draft: show its version (this page's own writes are not echoed back here).
  useEffect(() => {
    const show = (kept: Draft | null) => {
      latest.current = kept ? { fields: { ...empty, ...kept.fields } as T, error: kept.error } : { fields: empty, error: null };
      setDraft(latest.current);
    };
    const forms = shown.get(key) ?? new Set();
    shown.set(key, forms.add(show));
    return () => void forms.delete(show);
  }, [key]);
  const save = (next: { fields: T; error: string | null }) => {
    latest.current = next;
    setDraft(next);
    store(key, next);
  };
  return {
    fields: draft.fields,
    /** The fields as they are now, for sending: a render may not have caught up with the last input yet. */
    current: (): T => latest.current.fields,
    /** The error of the last attempt, kept with the draft until it is sent or discarded. */
    error: draft.error,
    set: (changes: Partial<T>) => save({ fields: { ...latest.current.fields, ...changes }, error: latest.current.error }),
    failed: (error: string) => save({ fields: latest.current.fields, error }),
    /** Sent or discarded: the form empties and the draft goes. */
    clear: () => {
      latest.current = { fields: empty, error: null };
      setDraft(latest.current);
      store(key, null);
    },
  };
}
