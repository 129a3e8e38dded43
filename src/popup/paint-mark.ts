import { useEffect, useRef } from 'preact/hooks';

/** A User Timing mark at the first paint of contact cards: DevTools shows it, the benchmarks read it. */
export const CONTACTS_PAINTED = 'agile:contacts-painted';

/**
 * Marks the first paint of cards for each thing shown: once for the popup, once per conversation for the side panel
 * (`about`, carried as the mark's `detail`).
 */
export function useContactsPaintedMark(painted: boolean, about: string | null = null): void {
  const marked = useRef<string | null | undefined>(undefined);
  useEffect(() => {
    if (!painted || marked.current === about) return;
    marked.current = about;
    performance.mark(CONTACTS_PAINTED, { detail: about });
  }, [painted, about]);
}
