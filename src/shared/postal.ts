/**
 * Whether free text reads as a postal address: words or numbers, not a fragment of JSON or markup (`{not json`),
 * not a placeholder (`null`, `n/a`). Agile holds such text where it should hold its address JSON; shared/contact.ts
 * keeps it only when it reads as one, and the popup checks again (a contact cached by an older version may hold any
 * text). No dependency, so the popup can use it without the schema library.
 *
 * @example readsAsAddress('Near the old mill, Detroit') // true
 * @example readsAsAddress('{not json') // false
 */
export function readsAsAddress(text: string): boolean {
  const trimmed = text.trim();
  return /[\p{L}\p{N}]/u.test(trimmed) && !/[{}[\]<>\p{Cc}]/u.test(trimmed) && !/^(?:null|undefined|nan|none|n\/a)$/i.test(trimmed);
}
