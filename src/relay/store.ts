/**
 * The relay's only shared state, behind one small interface: one-time authorization codes (redeemed exactly
 * once), each grant's current refresh token and its revocation, and rate-limit counters. Nothing secret is ever
 * stored — keys and values are opaque ids (a code's jti, a grant id, a refresh token's jti). The number of keys
 * grows with sign-ins, not with refreshes.
 *
 * `memoryStore` serves one process. Several instances need a strongly consistent store shared by all of them
 * (the Durable Object store on Workers); an eventually consistent one would let a code be redeemed twice.
 */
export interface StoredValue {
  value: string;
  /** When the value was written (epoch milliseconds). */
  at: number;
}

export interface RelayStore {
  /** Records `key` unless it is already there; true only for the one caller that recorded it. */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /** The value under `key` and when it was written, or null. */
  get(key: string): Promise<StoredValue | null>;
  /**
   * Writes `next` only if the current value is `expected` (null: absent). Atomic: of two callers expecting the
   * same value, one wins. Returns whether this caller's write happened.
   */
  compareAndSet(key: string, expected: string | null, next: string, ttlSeconds: number): Promise<boolean>;
  /** Adds one to a counter that starts at 0 and disappears after `ttlSeconds`; returns the new count. */
  increment(key: string, ttlSeconds: number): Promise<number>;
}

interface Entry extends StoredValue {
  count: number;
  expiresAt: number;
}

/**
 * Synchronous storage: a Map, or a Durable Object's SQLite-backed `storage.kv`. Because nothing here awaits, each
 * store operation's read and write run back to back and cannot interleave with another's — that is what makes a
 * claim or a compare-and-set atomic.
 */
export interface EntryMap {
  read(key: string): Entry | undefined;
  write(key: string, entry: Entry): void;
}

export type { Entry as StoredEntry };

/** The one implementation of the store's semantics (expiry, claim, compare-and-set, counters) over an `EntryMap`. */
export function storeOver(entries: EntryMap, now: () => number = Date.now): RelayStore {
  const live = (key: string) => {
    const entry = entries.read(key);
    return entry && entry.expiresAt > now() ? entry : undefined;
  };
  const fresh = (value: string, count: number, ttlSeconds: number): Entry => ({ value, count, at: now(), expiresAt: now() + ttlSeconds * 1000 });
  return {
    async claim(key, ttlSeconds) {
      if (live(key)) return false;
      entries.write(key, fresh('1', 1, ttlSeconds));
      return true;
    },
    async get(key) {
      const entry = live(key);
      return entry ? { value: entry.value, at: entry.at } : null;
    },
    async compareAndSet(key, expected, next, ttlSeconds) {
      if ((live(key)?.value ?? null) !== expected) return false;
      entries.write(key, fresh(next, 1, ttlSeconds));
      return true;
    },
    async increment(key, ttlSeconds) {
      const entry = live(key);
      const next = entry ? { ...entry, count: entry.count + 1 } : fresh('', 1, ttlSeconds);
      entries.write(key, next);
      return next.count;
    },
  };
}

/** @example const store = memoryStore(); await store.claim('code:abc', 120) // true, then false */
export function memoryStore(now: () => number = Date.now): RelayStore {
  const map = new Map<string, Entry>();
  let sweepAt = 0;
  return storeOver({
    read(key) {
      const time = now();
      if (time > sweepAt) {
        // Amortised clean-up: expired keys go at most once a minute, so memory tracks live keys only.
        for (const [name, entry] of map) if (entry.expiresAt <= time) map.delete(name);
        sweepAt = time + 60_000;
      }
      return map.get(key);
    },
    write(key, entry) {
      map.set(key, entry);
    },
  }, now);
}
