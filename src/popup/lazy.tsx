/**
 * Parts of the popup and side panel that load on first use: each is a dynamic `import()`, a chunk of its own, so
 * opening either page loads only what its first view shows (the card's forms and its notes, tasks and deals are
 * one click away). Once the cards are painted, `preloadParts()` fetches them while the rep reads, so a click rarely
 * waits even the few milliseconds a chunk takes from the extension's own files.
 */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** A component whose code loads when it is first rendered (or preloaded); "Loading…" until then. */
export interface LazyPart<P> {
  (props: P): preact.JSX.Element;
  /** Starts loading without rendering; a failure is forgotten, so the next render tries again. */
  preload(): void;
}

/**
 * @param load resolves to the component, e.g. `() => import('./components/NoteForm').then((m) => m.NoteForm)`.
 * @returns a component that renders the loaded one with the same props; if its code cannot be loaded (the
 * extension was updated or removed under the open page), words saying to reopen it.
 */
export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): LazyPart<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const start = () => (pending ??= load().then((component) => (loaded = component), (error: unknown) => {
    pending = null;
    throw error;
  }));
  function Lazy(props: P) {
    const [, setReady] = useState(loaded !== null);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      // Loaded since this rendered "Loading…" (a preload landed before this effect ran): show it now.
      if (loaded) return void setReady(true);
      let live = true;
      start().then(() => live && setReady(true), () => live && setFailed(true));
      return () => {
        live = false;
      };
    }, []);
    if (loaded) {
      const Loaded = loaded;
      return <Loaded {...props} />;
    }
    return failed
      ? <p class="notice notice-error" role="alert">This part of the extension could not be loaded. Close it and open it again.</p>
      : <p class="muted">Loading…</p>;
  }
  return Object.assign(Lazy, { preload: () => void start().catch(() => undefined) });
}

// One chunk for all of them (card-parts.ts): one file to fetch, compressed as one.
const parts = () => import('./card-parts');
export const NoteForm = lazy(() => parts().then((module) => module.NoteForm));
export const TaskForm = lazy(() => parts().then((module) => module.TaskForm));
export const TagEditor = lazy(() => parts().then((module) => module.TagEditor));
export const ContactDetails = lazy(() => parts().then((module) => module.ContactDetails));
export const AddContactForm = lazy(() => parts().then((module) => module.AddContactForm));

/** Fetches every part once the browser is idle (or within a second): called when the cards are painted. */
export function preloadParts(): void {
  const all = () => [NoteForm, TaskForm, TagEditor, ContactDetails, AddContactForm].forEach((part) => part.preload());
  if (typeof requestIdleCallback === 'function') requestIdleCallback(all, { timeout: 1_000 });
  else setTimeout(all, 0);
}
