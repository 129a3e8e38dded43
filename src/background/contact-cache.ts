/**
 * What Agile CRM said about each email, kept in `storage.local` so the popup paints at once and still has
 * something to show offline. One entry per email: the contact, or `null` for "not in Agile CRM".
 *
 * Entries older than MAX_AGE are dropped on read; everything goes at sign-out. Each entry is checked against
 * the contact schema when read back (storage is a boundary).
 */
import * as v from 'valibot';
import browser from 'webextension-polyfill';
import { ContactSchema, contactEmails, type Contact } from '../shared/contact';

/** Cached answers older than this are not shown at all. */
export const MAX_AGE_MS = 24 * 60 * 60 * 1000;
const PREFIX = 'contact:';

const Entry = v.object({ contact: v.nullable(ContactSchema), at: v.number() });
export type CacheEntry = v.InferOutput<typeof Entry>;

const key = (email: string) => `${PREFIX}${email.toLowerCase()}`;

export const contactCache = {
  /** The cached answers for these emails; emails without a usable entry are absent from the map. */
  async read(emails: readonly string[], now = Date.now()): Promise<Map<string, CacheEntry>> {
    if (emails.length === 0) return new Map();
    const stored = await browser.storage.local.get(emails.map(key));
    const entries = new Map<string, CacheEntry>();
    const stale: string[] = [];
    for (const email of emails) {
      if (!(key(email) in stored)) continue;
      const parsed = v.safeParse(Entry, stored[key(email)]);
      if (parsed.success && now - parsed.output.at < MAX_AGE_MS) entries.set(email.toLowerCase(), parsed.output);
      else stale.push(key(email));
    }
    // Too old or unreadable: gone from disk, not just hidden.
    if (stale.length > 0) await browser.storage.local.remove(stale);
    return entries;
  },

  /** Records the answer for every email asked: found ones with their contact, the rest as not found. */
  async write(emails: readonly string[], found: ReadonlyMap<string, Contact>, now = Date.now()): Promise<void> {
    const items: Record<string, CacheEntry> = {};
    for (const email of emails) items[key(email)] = { contact: found.get(email.toLowerCase()) ?? null, at: now };
    await browser.storage.local.set(items);
  },

  /** After an edit (tag, new contact), every email of that contact gets the new version. */
  async put(contact: Contact, now = Date.now()): Promise<void> {
    const items: Record<string, CacheEntry> = {};
    for (const email of contactEmails(contact)) items[key(email)] = { contact, at: now };
    await browser.storage.local.set(items);
  },

  async clear(): Promise<void> {
    const all = await browser.storage.local.get(null);
    const keys = Object.keys(all).filter((name) => name.startsWith(PREFIX));
    if (keys.length > 0) await browser.storage.local.remove(keys);
  },
};
