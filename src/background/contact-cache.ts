/**
 * What Agile CRM said about each email, kept in `storage.local` so the popup paints at once and still has
 * something to show offline. One entry per address (its `emailKey`): the contact, or `null` for "not in Agile CRM".
 *
 * It keeps itself small: entries older than MAX_AGE_MS are dropped when read and swept from disk at least hourly;
 * past BUDGET_BYTES the least recently used entries go first, down to three quarters of it. It is an optimisation,
 * never a reason to fail: a write that does not fit even after pruning is given up, so a contact created or tagged
 * in Agile CRM is never reported as a failure because the browser's storage is full. Everything goes at sign-out.
 * Each entry is checked against the contact schema when read back (storage is a boundary).
 */
import * as v from 'valibot';
import { ContactSchema, contactEmails, type Contact } from '../shared/contact';
import { emailKey } from '../shared/email';
import { AppError } from '../shared/errors';

/** Cached answers older than this are not shown at all. */
export const MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** The room the cache may take in `storage.local` (10 MB in all, shared with the sign-in and settings). */
export const BUDGET_BYTES = 4 * 1024 * 1024;
const LOW_WATER = 0.75;
const SWEEP_EVERY_MS = 60 * 60 * 1000;
/** How stale an entry's "last used" may get before reading it records the use (a storage write). */
const TOUCH_AFTER_MS = 10 * 60 * 1000;
const PREFIX = 'contact:';
const SWEPT_AT = 'contactCacheSweptAt';

const Entry = v.object({
  contact: v.nullable(ContactSchema),
  /** When Agile CRM gave this answer (epoch ms). */
  at: v.number(),
  /** When the rep last saw it (epoch ms); entries from before this field count as used when written. */
  used: v.optional(v.number()),
});
export type CacheEntry = v.InferOutput<typeof Entry>;

type Area = Pick<chrome.storage.StorageArea, 'get' | 'set' | 'remove' | 'getBytesInUse'>;

const key = (email: string) => `${PREFIX}${emailKey(email)}`;
/** What an item costs in storage, as Chrome counts it: the key and the JSON of the value. */
const sizeOf = (name: string, value: unknown) => name.length + JSON.stringify(value).length;

/**
 * @example const cache = createContactCache(() => chrome.storage.local);
 * await cache.write(['ada@example.com'], new Map()); (await cache.read(['Ada@example.com'])).get('ada@example.com') // { contact: null, … }
 */
export function createContactCache(area: () => Area) {
  // Writes go one at a time, so a sweep or a touch re-reads what it changes and never puts back an entry that a
  // newer answer replaced meanwhile.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  /** Drops expired and unreadable entries, then the least recently used until the cache takes ≤ `targetBytes`. */
  async function prune(now: number, targetBytes: number): Promise<void> {
    const all = await area().get(null);
    const dead: string[] = [];
    const live: { name: string; used: number; bytes: number }[] = [];
    let total = 0;
    for (const [name, value] of Object.entries(all)) {
      if (!name.startsWith(PREFIX)) continue;
      const entry = v.safeParse(Entry, value);
      if (!entry.success || now - entry.output.at >= MAX_AGE_MS) {
        dead.push(name);
        continue;
      }
      const bytes = sizeOf(name, value);
      total += bytes;
      live.push({ name, used: entry.output.used ?? entry.output.at, bytes });
    }
    live.sort((a, b) => a.used - b.used);
    for (const entry of live) {
      if (total <= targetBytes) break;
      dead.push(entry.name);
      total -= entry.bytes;
    }
    if (dead.length > 0) await area().remove(dead);
    await area().set({ [SWEPT_AT]: now });
  }

  async function store(items: Record<string, CacheEntry>, now: number): Promise<void> {
    try {
      try {
        await area().set(items);
      } catch {
        // Full: make room for these entries (the storage may also hold other things) and try once more.
        const needed = Object.entries(items).reduce((sum, [name, value]) => sum + sizeOf(name, value), 0);
        await prune(now, Math.max(0, BUDGET_BYTES * LOW_WATER - needed));
        await area().set(items);
      }
      const [bytes, stored] = await Promise.all([area().getBytesInUse(null), area().get(SWEPT_AT)]);
      const sweptAt = stored[SWEPT_AT];
      if (bytes > BUDGET_BYTES) await prune(now, BUDGET_BYTES * LOW_WATER);
      else if (typeof sweptAt !== 'number' || now - sweptAt >= SWEEP_EVERY_MS) await prune(now, BUDGET_BYTES);
    } catch (error) {
      console.warn('The contact cache could not be written; lookups go to Agile CRM until it can.', error);
    }
  }

  /** Removes entries still expired, and records a use on entries still holding the answer that was read. */
  async function tidy(expired: readonly string[], used: ReadonlyMap<string, number>, now: number): Promise<void> {
    const stored = await area().get([...expired, ...used.keys()]);
    const gone = expired.filter((name) => {
      const entry = v.safeParse(Entry, stored[name]);
      return !entry.success || now - entry.output.at >= MAX_AGE_MS;
    });
    const touched: Record<string, CacheEntry> = {};
    for (const [name, at] of used) {
      const entry = v.safeParse(Entry, stored[name]);
      if (entry.success && entry.output.at === at) touched[name] = { ...entry.output, used: now };
    }
    if (gone.length > 0) await area().remove(gone);
    if (Object.keys(touched).length > 0) await area().set(touched);
  }

  return {
    /** The cached answers for these emails, by `emailKey`; emails without a usable entry are absent. */
    async read(emails: readonly string[], now = Date.now()): Promise<Map<string, CacheEntry>> {
      if (emails.length === 0) return new Map();
      const names = [...new Set(emails.map(key))];
      const stored = await area().get(names);
      const entries = new Map<string, CacheEntry>();
      const expired: string[] = [];
      const used = new Map<string, number>();
      for (const name of names) {
        if (!(name in stored)) continue;
        const entry = v.safeParse(Entry, stored[name]);
        if (!entry.success || now - entry.output.at >= MAX_AGE_MS) {
          expired.push(name);
          continue;
        }
        entries.set(name.slice(PREFIX.length), entry.output);
        if (now - (entry.output.used ?? entry.output.at) >= TOUCH_AFTER_MS) used.set(name, entry.output.at);
      }
      // Behind the answer: too old or unreadable entries leave the disk, and the ones shown count as used.
      if (expired.length > 0 || used.size > 0) {
        void serially(() => tidy(expired, used, now)).catch((error: unknown) => console.warn('Contact cache upkeep failed.', error));
      }
      return entries;
    },

    /** Records the answer for every email asked: found ones (by `emailKey`) with their contact, the rest as not found. Never rejects. */
    async write(emails: readonly string[], found: ReadonlyMap<string, Contact>, now = Date.now()): Promise<void> {
      const items: Record<string, CacheEntry> = {};
      for (const email of emails) items[key(email)] = { contact: found.get(emailKey(email)) ?? null, at: now, used: now };
      await serially(() => store(items, now));
    },

    /** After an edit (tag, new contact), every email of that contact gets the new version. Never rejects. */
    async put(contact: Contact, now = Date.now()): Promise<void> {
      const items: Record<string, CacheEntry> = {};
      for (const email of contactEmails(contact)) items[key(email)] = { contact, at: now, used: now };
      await serially(() => store(items, now));
    },

    /**
     * Room in the storage for another record of about `bytes` (the sign-in, the settings) when the storage is full:
     * expired entries go, then the least recently used. Never rejects.
     */
    async makeRoom(bytes: number, now = Date.now()): Promise<void> {
      await serially(() => prune(now, Math.max(0, BUDGET_BYTES * LOW_WATER - bytes))).catch((error: unknown) => console.warn('Contact cache upkeep failed.', error));
    },

    async clear(): Promise<void> {
      await serially(async () => {
        const all = await area().get(null);
        const names = Object.keys(all).filter((name) => name.startsWith(PREFIX));
        if (names.length > 0) await area().remove(names);
      });
    },
  };
}

export const contactCache = createContactCache(() => chrome.storage.local);

/**
 * Writes what the extension cannot do without (the sign-in, the settings) to `storage.local`. A full storage is
 * the cache's doing, or no one's: the cache gives up room and the write is tried once more; if it still does not
 * fit, the rep reads why, never the browser's own words. `what` names the record in those words.
 *
 * @example await keepInStorage({ settings }, 'the settings');
 */
export async function keepInStorage(items: Record<string, unknown>, what: string): Promise<void> {
  try {
    await chrome.storage.local.set(items);
    return;
  } catch (error) {
    if (!/quota/i.test(String(error))) throw error;
    await contactCache.makeRoom(Object.entries(items).reduce((sum, [name, value]) => sum + sizeOf(name, value), 0));
  }
  try {
    await chrome.storage.local.set(items);
  } catch (error) {
    console.error(error);
    throw new AppError('internal', `The browser’s storage for this extension is full, so ${what} could not be kept. Clear the cached contacts in Settings, then try again.`);
  }
}
