/**
 * The one definition of an email address in the extension: the scanner finds addresses with it, the context menu,
 * the worker's message schema and the Agile CRM client check them with it.
 *
 * Accepted — a mailbox as people write it:
 * - local part: an RFC 5321 §4.1.2 Dot-string — atoms of RFC 5322 `atext` (letters, digits and
 *   ``! # $ % & ' * + - / = ? ^ _ ` { | } ~``) joined by single dots — where, as RFC 6531/6532 allow, letters, marks
 *   and digits of any script count as atext (`josé.garcía@…`, `用户@…`);
 * - domain: two or more dot-separated labels of letters, digits and inner hyphens; a label is ASCII (an A-label such
 *   as `xn--mnchen-3ya` included) or a U-label of any script (`münchen`), RFC 6531 §3.2; the top-level label is
 *   letters only, or an A-label.
 *
 * Refused, and why:
 * - quoted local parts (`"ada lovelace"@example.com`): legal, practically unused, and on a page a quote is far more
 *   often punctuation than part of an address;
 * - address literals (`ada@[192.0.2.1]`) and dotless domains (`ada@localhost`): nobody's CRM address;
 * - comments and display names (RFC 5322 CFWS, `Ada (work) <ada@example.com>`): they are the words around an address,
 *   not the address — the scanner reads names from them;
 * - non-ASCII spaces, punctuation and invisible characters: RFC 6532 would allow any non-ASCII character, but on a
 *   page those end an address rather than belong to it — except that a run of address characters that an
 *   apostrophe-like joiner or an invisible in-word character (a zero-width joiner, a soft hyphen) ties to a word is
 *   mid-word, and no address: a match is never a cut of something longer. The scanner reads text without the
 *   characters pages put inside words only to hint a line break or a hyphen (`withoutBreakHints`), so an address
 *   holding them is found whole.
 *
 * Limits, in UTF-8 octets (RFC 5321 §4.5.3.1): local part ≤ 64, address ≤ 254 (the 256-octet path without its
 * angle brackets), each domain label ≤ 63.
 *
 * Addresses are kept as written: no punycode ↔ Unicode transcoding, no Unicode normalisation, no case change. For
 * comparing, de-duplicating and caching, `emailKey` folds case: domains are case-insensitive (RFC 5321 §2.4), and
 * local parts, case-sensitive in principle, are treated as case-insensitive by every mail system a rep will meet.
 *
 * No dependency, so the popup can use it without the schema library; the schema of an address given whole is
 * `EmailAddress` in shared/messages.ts.
 */
export const MAX_LOCAL_OCTETS = 64;
export const MAX_ADDRESS_OCTETS = 254;
export const MAX_LABEL_OCTETS = 63;

const ATEXT_SYMBOLS = "!#$%&'*+-/=?^_`{|}~";
/**
 * In running text only these symbols join a local part; the rest of atext (`! # $ & * / = ? ^ ` { | } ~`) is
 * punctuation there (`id=ada@example.com`, `sales/ada@example.com`), though an address given whole may hold it.
 */
const TEXT_LOCAL_SYMBOLS = "._%+-'";
/**
 * Invisible characters that stand inside words: zero-width joiner and non-joiner (parts of some scripts' words),
 * soft hyphen, zero-width space, word joiner, zero-width no-break space. A run of address characters with one
 * between it and more address characters, on either side, is a cut of something longer.
 */
const IN_WORD = new Set([0x200c, 0x200d, 0xad, 0x200b, 0x2060, 0xfeff]);
/** Characters that join two words before an address (`o’connor`, `R&D`): a run of local-part characters right after one is mid-word. */
const WORD_JOINERS = new Set([0x2019, 0x2bc, 0x2018, 0x26, ...IN_WORD]);
/** Soft hyphen, zero-width space, word joiner, zero-width no-break space: line-break and hyphenation hints, invisible. */
const BREAK_HINTS = /[\u00ad\u200b\u2060\ufeff]/g;

/**
 * Text as a reader sees it: without the invisible characters pages put inside words only to hint where a line may
 * break or a hyphen go (`ada@exam\u00adple.com` reads `ada@example.com`). One character class: linear.
 *
 * @example withoutBreakHints('ada@exam\u00adple.com') // 'ada@example.com'
 */
export function withoutBreakHints(text: string): string {
  return text.replace(BREAK_HINTS, '');
}
const WORD = /^[\p{L}\p{M}\p{N}]$/u;
const LETTERS = /^[\p{L}\p{M}]+$/u;
const A_LABEL = /^xn--[a-z0-9-]+$/i;
/** A run of address characters longer than this is no address; the scan never looks further. */
const MAX_RUN = 256;

/** ASCII lookup tables, so the scan's inner loops do not build strings: bit 1 atext, 2 text local part, 4 domain. */
const ASCII = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const char = String.fromCharCode(code);
  const alphanumeric = /[A-Za-z0-9]/.test(char);
  ASCII[code] = (alphanumeric || ATEXT_SYMBOLS.includes(char) ? 1 : 0) | (alphanumeric || TEXT_LOCAL_SYMBOLS.includes(char) ? 2 : 0)
    | (alphanumeric || char === '-' || char === '.' ? 4 : 0);
}
const ALPHANUMERIC = (code: number) => (ASCII[code]! & 7) === 7 && code !== 45 && code !== 46;

/** A letter, mark or digit of any script. */
function isWord(code: number): boolean {
  return code < 128 ? ALPHANUMERIC(code) : WORD.test(String.fromCodePoint(code));
}

function isAtext(code: number): boolean {
  return code < 128 ? (ASCII[code]! & 1) === 1 : isWord(code);
}

function isTextLocal(code: number): boolean {
  return code < 128 ? (ASCII[code]! & 2) === 2 : isWord(code);
}

function isDomainChar(code: number): boolean {
  return code < 128 ? (ASCII[code]! & 4) === 4 : isWord(code);
}

function utf8Octets(text: string): number {
  let octets = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    octets += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return octets;
}

/** The code point ending just before `index`, or -1 at the start. Its UTF-16 length is `code > 0xffff ? 2 : 1`. */
function codePointBefore(text: string, index: number): number {
  if (index <= 0) return -1;
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return low;
}

const units = (code: number) => (code > 0xffff ? 2 : 1);

function isDotAtom(local: string, allowed: (code: number) => boolean): boolean {
  if (local.length === 0 || utf8Octets(local) > MAX_LOCAL_OCTETS) return false;
  for (const atom of local.split('.')) {
    if (atom.length === 0) return false;
    for (const char of atom) if (!allowed(char.codePointAt(0)!)) return false;
  }
  return true;
}

function isDomain(domain: string): boolean {
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  for (const label of labels) {
    if (label.length === 0 || utf8Octets(label) > MAX_LABEL_OCTETS) return false;
    if (label.startsWith('-') || label.endsWith('-')) return false;
    for (const char of label) if (!isDomainChar(char.codePointAt(0)!)) return false;
  }
  const top = labels[labels.length - 1]!;
  return A_LABEL.test(top) || (top.length >= 2 && LETTERS.test(top));
}

/**
 * Whether `value`, all of it, is an email address by the definition above.
 *
 * @example isEmailAddress("sean.o'connor@example.com") // true
 * @example isEmailAddress('info@xn--mnchen-3ya.example') // true
 * @example isEmailAddress('"ada"@example.com') // false
 */
export function isEmailAddress(value: string): boolean {
  const at = value.lastIndexOf('@');
  if (at <= 0 || utf8Octets(value) > MAX_ADDRESS_OCTETS) return false;
  return isDotAtom(value.slice(0, at), isAtext) && isDomain(value.slice(at + 1));
}

/**
 * The identity of an address for comparing, de-duplicating and caching: the address with its case folded.
 *
 * @example emailKey('Ada.Lovelace@Example.com') // 'ada.lovelace@example.com'
 */
export function emailKey(address: string): string {
  return address.toLowerCase();
}

export interface AddressMatch {
  /** The address as written on the page. */
  address: string;
  /** Where it starts and ends in the text (UTF-16 indices, end exclusive). */
  start: number;
  end: number;
}

/**
 * The address around the `@` at `at`, if there is one: local-part characters expanded leftwards and domain
 * characters rightwards, each run bounded. Never cut to fit: a run too long, or one that does not make an address
 * whole, is no address.
 */
function addressAround(text: string, at: number): AddressMatch | null {
  let start = at;
  for (let before = codePointBefore(text, start); before !== -1 && isTextLocal(before); before = codePointBefore(text, start)) {
    start -= units(before);
    if (at - start > MAX_RUN) return null;
  }
  const outside = codePointBefore(text, start);
  if (outside === 64) return null;
  if (WORD_JOINERS.has(outside)) {
    const beyond = codePointBefore(text, start - units(outside));
    if (beyond !== -1 && (IN_WORD.has(outside) ? isTextLocal(beyond) : isWord(beyond))) return null;
  }
  // An opening quote or an ellipsis before an address is punctuation, not part of it.
  while (start < at && (text[start] === '.' || text[start] === "'")) start++;
  const local = text.slice(start, at);
  if (!isDotAtom(local, isTextLocal)) return null;

  let end = at + 1;
  while (end < text.length) {
    const code = text.codePointAt(end)!;
    if (!isDomainChar(code)) break;
    end += units(code);
    if (end - at > MAX_RUN) return null;
  }
  const next = text[end];
  if (next === '@' || next === '_') return null;
  if (IN_WORD.has(next?.codePointAt(0) ?? -1)) {
    const beyond = text.codePointAt(end + 1);
    if (beyond !== undefined && isDomainChar(beyond)) return null;
  }
  // A full stop after an address ends the sentence.
  while (end > at + 1 && text[end - 1] === '.') end--;
  const address = text.slice(start, end);
  if (!isDomain(text.slice(at + 1, end)) || utf8Octets(address) > MAX_ADDRESS_OCTETS) return null;
  return { address, start, end };
}

/**
 * Every address in a piece of text, as written, in order. Linear in the text's length: each `@` looks at most
 * MAX_RUN characters either way, and never past another `@`.
 *
 * @example findAddresses("Write to sean.o'connor@example.com.") // [{ address: "sean.o'connor@example.com", start: 9, end: 34 }]
 */
export function findAddresses(text: string): AddressMatch[] {
  const found: AddressMatch[] = [];
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    // Most `@` on a hostile page have no address character on one side: skip them without a call.
    const before = text.charCodeAt(at - 1);
    const after = text.charCodeAt(at + 1);
    if (!(before >= 128 || (ASCII[before]! & 2) === 2) || !(after >= 128 || (ASCII[after]! & 4) === 4)) continue;
    const match = addressAround(text, at);
    if (match) found.push(match);
  }
  return found;
}
