import { useEffect, useRef } from 'preact/hooks';
import { preloadParts } from './lazy';

/** A User Timing mark at the first paint of contact cards: DevTools shows it, the benchmarks read it. */
export const CONTACTS_PAINTED = 'agile:contacts-painted';

/**
 * Marks the first paint of cards for each thing shown: once for the popup, once per conversation for the side panel
 * (`about`, carried as the mark's `detail`). The cards are up: then the parts a click on them opens are fetched
 * (lazy.tsx), never before, so that they never delay the cards.
 */
export function useContactsPaintedMark(painted: boolean, about: string | null = null): void {
  const marked = useRef<string | null | undefined>(undefined);
  useEffect(() => {
    if (!painted || marked.current === about) return;
    marked.current = about;
    performance.mark(CONTACTS_PAINTED, { detail: about });
    preloadParts();
  }, [painted, about]);
}
