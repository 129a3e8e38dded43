/**
 * From raw page candidates to the people worth looking up: addresses extracted, lower-cased and de-duplicated,
 * machine senders and asset names dropped, names kept where the page gave one, capped at `limit`.
 */
import type { PageEmail } from '../shared/messages';
import type { Candidate } from './collect';

export interface People {
  emails: PageEmail[];
  /** Addresses found beyond `limit`, shown as "+N more". */
  more: number;
}

/** Practical address syntax: what people write, not every RFC 5322 corner. */
const EMAIL = /[a-z0-9][a-z0-9._%+-]{0,63}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?![a-z0-9-])/gi;

/** Mailboxes no one reads and addresses that are really file names (`logo@2x.png`). */
const MACHINE_LOCAL = /^(?:no-?reply|do-?not-?reply|donotreply|mailer-daemon|postmaster|bounces?|notifications?|unsubscribe)(?:[+._-].*)?$/;
const ASSET = /\.(?:png|jpe?g|gif|svg|webp|avif|ico|bmp|css|js|mjs|map|woff2?|ttf|eot|mp4|webm|pdf)$/;
const RETINA = /@\d(?:\.\d)?x(?:\.|$)/;

/** "Ada Lovelace <ada@example.com>" or "Ada Lovelace (ada@example.com)": the name before the address. */
const NAMED = /([^<>,;:"()\n\r\t@]{2,80})\s*[<(]\s*([^<>()\s]+@[^<>()\s]+)\s*[>)]/g;

export function isPersonAddress(address: string): boolean {
  const [local = '', domain = ''] = address.split('@');
  return !MACHINE_LOCAL.test(local) && !ASSET.test(domain) && !RETINA.test(address) && !/^\d+$/.test(local);
}

/** Every plausible address in a piece of text, lower-cased, in order. */
export function extractEmails(text: string): string[] {
  return Array.from(text.matchAll(EMAIL), (match) => match[0].replace(/^[._%+-]+|[._%+-]+$/g, '').toLowerCase());
}

function namesIn(text: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const match of text.matchAll(NAMED)) {
    const name = (match[1] ?? '').replace(/^[\s"'·|-]+|[\s"'·|:-]+$/g, '').trim();
    const email = extractEmails(match[2] ?? '')[0];
    if (email && name && !name.includes('@')) names.set(email, name);
  }
  return names;
}

/** Selection first (what the rep pointed at), then marked-up people, then links, then running text. */
const ORDER = { selection: 0, attribute: 1, mailto: 2, text: 3 } as const;

/**
 * @example findPeople([{ text: 'Write to Ada <ada@example.com>', name: '', source: 'text' }])
 *   // { emails: [{ email: 'ada@example.com', name: 'Ada' }], more: 0 }
 */
export function findPeople(candidates: readonly Candidate[], limit = 200): People {
  const seen = new Map<string, PageEmail>();
  const sorted = [...candidates].sort((a, b) => ORDER[a.source] - ORDER[b.source]);
  for (const candidate of sorted) {
    const names = namesIn(candidate.text);
    const addresses = extractEmails(candidate.text);
    for (const email of addresses) {
      if (!isPersonAddress(email)) continue;
      const name = names.get(email) ?? (addresses.length === 1 ? candidate.name : '');
      const known = seen.get(email);
      if (!known) seen.set(email, { email, name });
      else if (!known.name && name) known.name = name;
    }
  }
  const all = [...seen.values()];
  return { emails: all.slice(0, limit), more: Math.max(0, all.length - limit) };
}
