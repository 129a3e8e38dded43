/**
 * The relay's only shared state, behind one small interface: one-time authorization codes (redeemed exactly
 * once), each grant's current refresh token and its revocation, and sign-in rate limits. Nothing secret is ever
 * stored — keys and values are opaque ids (a code's jti, a grant id, a refresh token's jti, hashes). The number of
 * keys grows with sign-ins, not with refreshes.
 *
 * Three implementations keep the same guarantees: `memoryStore` (one Node process), the Durable Object store
 * (durable-store.ts, Workers) and the Redis store (redis-store.ts, several Node processes). Several instances need
 * a strongly consistent store shared by all of them; an eventually consistent one would let a code be redeemed
 * twice.
 */
export interface StoredValue {
  value: string;
  /** When the value was written (epoch milliseconds); for a counter, when it started. */
  at: number;
}

export interface RelayStore {
  /** Records `key` unless it is already there; true only for the one caller that recorded it. */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /** The value under `key` and when it was written, or null. A counter's value is its count, in decimal. */
  get(key: string): Promise<StoredValue | null>;
  /**
   * Writes `next` only if the current value is `expected` (null: absent). Atomic: of two callers expecting the
   * same value, one wins. Returns whether this caller's write happened.
   */
  compareAndSet(key: string, expected: string | null, next: string, ttlSeconds: number): Promise<boolean>;
  /** Adds one to a counter that starts at 0 and disappears `ttlSeconds` after it started; returns the new count. */
  increment(key: string, ttlSeconds: number): Promise<number>;
}

/**
 * Keys under this prefix are rate-limit state: a bounded store may drop them first (losing one only loosens a
 * limit for a while). Every other key — a code claim, a rotation record, a revocation — is a security record that
 * is never dropped before it expires: a store that has no room for one refuses the write instead.
 */
export const LIMIT_PREFIX = 'limit:';

/**
 * Keys under this prefix are a cache of answers (refresh-answers.ts): kept so that a retried refresh is answered
 * without asking the provider again. Anyone may send a refresh token, known or not, and each makes one, so a bounded
 * store gives them a budget of their own and drops the oldest first: a flood of made-up tokens can then cost a
 * retry one more call to the provider, never a 503 for everyone, and never a revocation or a used code.
 */
export const CACHE_PREFIX = 'cache:';

/**
 * The store cannot answer (Redis unreachable or timing out, the memory store full of records): the request fails
 * with 503 and these words, and nothing is assumed — no code is treated as unused, no token as unrevoked.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

interface Entry extends StoredValue {
  count: number;
  expiresAt: number;
}

/**
 * Synchronous storage: a Map, or a Durable Object's SQLite-backed `storage.kv`. Because nothing here awaits, each
 * store operation's read and write run back to back and cannot interleave with another's — that is what makes a
 * claim or a compare-and-set atomic. `write` may throw `StoreUnavailableError` when there is no room.
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
      const count = (entry?.count ?? 0) + 1;
      entries.write(key, entry ? { ...entry, count, value: String(count) } : fresh('1', 1, ttlSeconds));
      return count;
    },
  };
}

export interface MemoryStoreOptions {
  /** Room for everything, in bytes (estimated): 60 % for records, 20 % for rate-limit state, 20 % for the answer cache. Default 64 MiB. */
  maxBytes?: number;
  now?: () => number;
}

export interface MemoryStoreUsage {
  records: { entries: number; bytes: number };
  limits: { entries: number; bytes: number };
  cache: { entries: number; bytes: number };
}

export interface MemoryStore extends RelayStore {
  /** What the store holds now: entries and estimated bytes, records and rate-limit state apart. */
  usage(): MemoryStoreUsage;
}

/** A Map entry, its object and two strings (UTF-16) on V8, roughly; what the byte budget counts. */
const entryBytes = (key: string, entry: Entry) => 2 * (key.length + entry.value.length) + 160;
/** Expired entries looked at per write: memory follows the live keys without a pause to sweep them all. */
const SWEEP_STEP = 8;

/**
 * One budget: a Map with a byte limit, swept a few entries per write. `evict` says what happens when a write
 * does not fit once expired entries are gone: drop the oldest entries (rate limits), or refuse (records).
 */
function budget(limit: number, evict: boolean, now: () => number) {
  const map = new Map<string, Entry>();
  let bytes = 0;
  let cursor = map.entries();
  let fullSweepAt = 0;
  const remove = (key: string, entry: Entry) => {
    map.delete(key);
    bytes -= entryBytes(key, entry);
  };
  const sweep = (steps: number) => {
    const time = now();
    for (let i = 0; i < steps; i++) {
      const next = cursor.next();
      if (next.done) {
        cursor = map.entries();
        return;
      }
      const [key, entry] = next.value;
      if (entry.expiresAt <= time) remove(key, entry);
    }
  };
  return {
    map,
    bytes: () => bytes,
    read(key: string): Entry | undefined {
      const entry = map.get(key);
      if (entry && entry.expiresAt <= now()) {
        remove(key, entry);
        return undefined;
      }
      return entry;
    },
    write(key: string, entry: Entry): void {
      sweep(SWEEP_STEP);
      const previous = map.get(key);
      const size = entryBytes(key, entry) - (previous ? entryBytes(key, previous) : 0);
      if (bytes + size > limit) {
        // A whole sweep at most once a second: a store full of live entries must not cost O(n) per write.
        if (now() - fullSweepAt >= 1_000) {
          fullSweepAt = now();
          sweep(map.size + 1);
        }
        // Map order is insertion order: the oldest entries go first. Only rate-limit state is ever dropped, so
        // flooding the store can loosen limits at most — it can never erase a revocation or a used code.
        if (evict) for (const [name, old] of map) {
          if (bytes + size <= limit) break;
          if (name !== key) remove(name, old);
        }
        if (bytes + size > limit) {
          throw new StoreUnavailableError('The relay’s memory store is full, so it cannot record this safely. Try again later; its operator can raise RELAY_MEMORY_STORE_MB or use RELAY_STORE_URL.');
        }
      }
      map.set(key, entry);
      bytes += size;
    },
  };
}

/**
 * The store for one Node process: bounded, with security records and rate-limit state in separate budgets.
 *
 * @example const store = memoryStore(); await store.claim('code:abc', 120) // true, then false
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const records = budget(Math.floor(maxBytes * 0.6), false, now);
  const limits = budget(Math.floor(maxBytes * 0.2), true, now);
  const cache = budget(Math.floor(maxBytes * 0.2), true, now);
  const of = (key: string) => (key.startsWith(LIMIT_PREFIX) ? limits : key.startsWith(CACHE_PREFIX) ? cache : records);
  const store = storeOver({ read: (key) => of(key).read(key), write: (key, entry) => of(key).write(key, entry) }, now);
  return {
    ...store,
    usage: () => ({
      records: { entries: records.map.size, bytes: records.bytes() },
      limits: { entries: limits.map.size, bytes: limits.bytes() },
      cache: { entries: cache.map.size, bytes: cache.bytes() },
    }),
  };
}
