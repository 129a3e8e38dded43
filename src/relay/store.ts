/**
 * The relay's only shared state, behind one small interface: one-time authorization codes (redeemed exactly
 * once), used refresh tokens and revoked grants, and rate-limit counters. Nothing secret is ever stored — keys
 * are opaque ids (a code's or token's `jti`, a grant id).
 *
 * `memoryStore` serves one process. Several instances need a strongly consistent store shared by all of them
 * (the Durable Object store on Workers); an eventually consistent one would let a code be redeemed twice.
 */
export interface RelayStore {
  /** Records `key` unless it is already there; true only for the one caller that recorded it. */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /** When `key` was recorded (epoch milliseconds), or null when it is not there. */
  recordedAt(key: string): Promise<number | null>;
  /** Adds one to a counter that starts at 0 and disappears after `ttlSeconds`; returns the new count. */
  increment(key: string, ttlSeconds: number): Promise<number>;
}

/** @example const store = memoryStore(); await store.claim('code:abc', 120) // true, then false */
export function memoryStore(now: () => number = Date.now): RelayStore {
  const entries = new Map<string, { count: number; at: number; expiresAt: number }>();
  let sweepAt = 0;
  const live = (key: string) => {
    const time = now();
    if (time > sweepAt) {
      // Amortised clean-up: expired keys go at most once a minute, so memory tracks live keys only.
      for (const [name, entry] of entries) if (entry.expiresAt <= time) entries.delete(name);
      sweepAt = time + 60_000;
    }
    const entry = entries.get(key);
    return entry && entry.expiresAt > time ? entry : undefined;
  };
  return {
    async claim(key, ttlSeconds) {
      if (live(key)) return false;
      entries.set(key, { count: 1, at: now(), expiresAt: now() + ttlSeconds * 1000 });
      return true;
    },
    async recordedAt(key) {
      return live(key)?.at ?? null;
    },
    async increment(key, ttlSeconds) {
      const entry = live(key);
      if (entry) return ++entry.count;
      entries.set(key, { count: 1, at: now(), expiresAt: now() + ttlSeconds * 1000 });
      return 1;
    },
  };
}
