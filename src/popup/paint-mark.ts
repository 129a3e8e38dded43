import { useEffect } from 'preact/hooks';

/** A User Timing mark at the first paint of contact cards: DevTools shows it, the benchmarks read it. */
export const CONTACTS_PAINTED = 'agile:contacts-painted';

export function useContactsPaintedMark(painted: boolean): void {
  useEffect(() => {
    if (painted && performance.getEntriesByName(CONTACTS_PAINTED).length === 0) performance.mark(CONTACTS_PAINTED);
  }, [painted]);
}
