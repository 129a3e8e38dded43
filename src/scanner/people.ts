/**
 * From raw page candidates to the people worth looking up: addresses found whole (shared/email.ts), kept as
 * written and de-duplicated by `emailKey`, machine senders and asset names dropped, names kept where the page gave
 * one, capped at `limit`. Linear in the size of the page: the one regular expression run over page text
 * (OBFUSCATED) starts with a bracket and has no overlapping quantifiers; the others read one address or name.
 */
import { emailKey, findAddresses, withoutBreakHints, type AddressMatch } from '../shared/email';
import type { PageEmail } from '../shared/messages';
import type { Candidate } from './collect';
import { mailtoRecipients } from './mailto';

export interface People {
  emails: PageEmail[];
  /** Addresses found beyond `limit`, shown as "+N more". */
  more: number;
}

/** Mailboxes no one reads and addresses that are really file names (`logo@2x.png`). */
const MACHINE_LOCAL = /^(?:no-?reply|do-?not-?reply|donotreply|mailer-daemon|postmaster|bounces?|notifications?|unsubscribe)(?:[+._-].*)?$/;
const ASSET = /\.(?:png|jpe?g|gif|svg|webp|avif|ico|bmp|css|js|mjs|map|woff2?|ttf|eot|mp4|webm|pdf)$/;
const RETINA = /@\d(?:\.\d)?x(?:\.|$)/;

/**
 * `[at]`, `(at)`, `{at}` and the same with `dot`, any case, spaces inside or around: how staff directories and
 * signatures hide addresses from harvesters. Only the bracketed forms — "ada at example dot com" is too often plain
 * English. Starts with a bracket, so each bracket is tried once: linear.
 */
const OBFUSCATED = /[[({][ \t]*(at|dot)[ \t]*[\])}]/gi;

/** A display name before `<address>` or `(address)` is at most this long; a longer run of words is prose. */
const MAX_NAME = 80;
/** Spaces allowed between a name, its bracket and the address. */
const MAX_GAP = 8;
const NAME_STOPS = new Set(['<', '>', ',', ';', ':', '"', '(', ')', '\n', '\r', '\t', '@']);
const isSpace = (char: string | undefined) => char === ' ' || char === '\u00a0' || char === '\t' || char === '\n' || char === '\r';

export function isPersonAddress(address: string): boolean {
  const key = emailKey(address);
  const at = key.lastIndexOf('@');
  const local = key.slice(0, at);
  return !MACHINE_LOCAL.test(local) && !ASSET.test(key.slice(at + 1)) && !RETINA.test(key) && !/^\d+$/.test(local);
}

/** `Ada Lovelace <ada@example.com>`, `"Lovelace, Ada" <ada@…>` or `Ada (ada@…)`: the name before the bracket. */
function nameBefore(text: string, match: AddressMatch): string {
  let open = match.start - 1;
  while (open >= match.start - MAX_GAP && isSpace(text[open])) open--;
  const bracket = text[open];
  if (bracket !== '<' && bracket !== '(') return '';
  let close = match.end;
  while (close < match.end + MAX_GAP && isSpace(text[close])) close++;
  if (text[close] !== (bracket === '<' ? '>' : ')')) return '';
  let last = open - 1;
  while (last >= open - MAX_GAP && isSpace(text[last])) last--;
  let first = last;
  if (text[last] === '"') {
    first = last - 1;
    while (first > last - MAX_NAME && first >= 0 && text[first] !== '"' && text[first] !== '\n') first--;
    if (text[first] !== '"') return '';
    return clean(text.slice(first + 1, last));
  }
  while (first >= 0 && !NAME_STOPS.has(text[first]!)) {
    if (last - first >= MAX_NAME) return '';
    first--;
  }
  return clean(text.slice(first + 1, last + 1));
}

function clean(name: string): string {
  const trimmed = name.replace(/^[\s"'·|-]+/, '').replace(/[\s"'·|:-]+$/, '');
  return trimmed.length >= 2 && !trimmed.includes('@') ? trimmed : '';
}

/** The code of the first character before `index` that is not a space or tab, or NaN. */
function codeBefore(text: string, index: number): number {
  let i = index - 1;
  while (text[i] === ' ' || text[i] === '\t') i--;
  return text.charCodeAt(i);
}

/** Whether a bracketed `at` or `dot` stands between two address characters (`ada [at] example`), not beside punctuation. */
function joinsAddress(text: string, start: number, end: number): boolean {
  let after = end;
  while (text[after] === ' ' || text[after] === '\t') after++;
  const before = codeBefore(text, start);
  const next = text.charCodeAt(after);
  return (before >= 128 || /[A-Za-z0-9_%+'-]/.test(String.fromCharCode(before))) && (next >= 128 || /[A-Za-z0-9]/.test(String.fromCharCode(next)));
}

/**
 * The text with bracketed `at`/`dot` that join address characters turned into `@`/`.` (the spaces around them
 * dropped), and for each such character, in order: where it landed, and `delta`, what to add to a position after
 * it to find the same character in `text`. Null when no `at` or `dot` joins anything.
 */
function deobfuscated(text: string): { text: string; replaced: { at: number; delta: number }[] } | null {
  const parts: string[] = [];
  const replaced: { at: number; delta: number }[] = [];
  let length = 0;
  let from = 0;
  OBFUSCATED.lastIndex = 0;
  for (let match = OBFUSCATED.exec(text); match; match = OBFUSCATED.exec(text)) {
    if (!joinsAddress(text, match.index, OBFUSCATED.lastIndex)) continue;
    let end = match.index;
    while (end > from && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
    const kept = text.slice(from, end);
    parts.push(kept, match[1]!.length === 2 ? '@' : '.');
    const at = length + kept.length;
    length = at + 1;
    from = OBFUSCATED.lastIndex;
    while (text[from] === ' ' || text[from] === '\t') from++;
    replaced.push({ at, delta: from - length });
  }
  return replaced.length > 0 ? { text: parts.join('') + text.slice(from), replaced } : null;
}

/**
 * The addresses a bracketed `at` or `dot` is part of (`ada [at] example [dot] com`, `ada@example[dot]com`), with
 * their names and where they stand in `text` (end exclusive). In text order, in one pass.
 */
function obfuscatedIn(text: string): { person: PageEmail; start: number; end: number }[] {
  const variant = deobfuscated(text);
  if (!variant) return [];
  const { replaced } = variant;
  const found: { person: PageEmail; start: number; end: number }[] = [];
  let next = 0;
  for (const match of findAddresses(variant.text)) {
    while (next < replaced.length && replaced[next]!.at < match.start) next++;
    let last = next;
    while (last < replaced.length && replaced[last]!.at < match.end) last++;
    if (last === next) continue;
    // An address neither starts nor ends with a replaced `@` or `.`: both ends map back by the delta before them.
    const start = match.start + (next > 0 ? replaced[next - 1]!.delta : 0);
    const end = match.end + replaced[last - 1]!.delta;
    found.push({ person: { email: match.address, name: nameBefore(variant.text, match) }, start, end });
  }
  return found;
}

/** The addresses in one candidate with the names the page gives them. */
function peopleIn(candidate: Candidate): PageEmail[] {
  if (candidate.source === 'mailto') {
    const recipients = mailtoRecipients(candidate.text);
    return recipients.map((email) => ({ email, name: recipients.length === 1 ? candidate.name : '' }));
  }
  const text = withoutBreakHints(candidate.text);
  const obfuscated = obfuscatedIn(text);
  // In page order. An address written partly in the clear (`ada@example.co [dot] uk`) is found whole among the
  // obfuscated ones, never cut among the others.
  const found: PageEmail[] = [];
  let next = 0;
  for (const match of findAddresses(text)) {
    for (; next < obfuscated.length && obfuscated[next]!.start < match.end; next++) {
      if (obfuscated[next]!.end <= match.start) found.push(obfuscated[next]!.person);
      else break;
    }
    if (next < obfuscated.length && obfuscated[next]!.start < match.end) continue;
    found.push({ email: match.address, name: nameBefore(text, match) });
  }
  found.push(...obfuscated.slice(next).map((entry) => entry.person));
  // A name beside the whole candidate (a Gmail `name` attribute) belongs to its address only when there is one.
  const single = new Set(found.map((person) => emailKey(person.email))).size === 1;
  return found.map((person) => ({ email: person.email, name: person.name || (single ? candidate.name : '') }));
}

/** Selection first (what the rep pointed at), then marked-up people, links, form fields, then running text. */
const ORDER = { selection: 0, attribute: 1, mailto: 2, field: 3, text: 4 } as const;

/**
 * @example findPeople([{ text: 'Write to Ada <Ada@Example.com>', name: '', source: 'text' }])
 *   // { emails: [{ email: 'Ada@Example.com', name: 'Ada' }], more: 0 }
 */
export function findPeople(candidates: readonly Candidate[], limit = 200): People {
  const seen = new Map<string, PageEmail>();
  const sorted = [...candidates].sort((a, b) => ORDER[a.source] - ORDER[b.source]);
  for (const candidate of sorted) {
    for (const { email, name } of peopleIn(candidate)) {
      if (!isPersonAddress(email)) continue;
      const key = emailKey(email);
      const known = seen.get(key);
      if (!known) seen.set(key, { email, name });
      else if (!known.name && name) known.name = name;
    }
  }
  const all = [...seen.values()];
  return { emails: all.slice(0, limit), more: Math.max(0, all.length - limit) };
}
