/**
 * The relay's shared state on Cloudflare Workers: `RelayStore` backed by Durable Objects.
 *
 * A Durable Object is one single-threaded instance, and a SQLite-backed one has synchronous storage
 * (`storage.kv`): each store operation runs its read and write with nothing in between, so an authorization code
 * is redeemed exactly once however many Worker instances race for it. (Workers KV would not do: it is eventually
 * consistent, and two instances could both read "unused" for up to a minute.)
 *
 * Keys are spread over a few objects by hash; every key always lands on the same one.
 */
import { DurableObject } from 'cloudflare:workers';
import { storeOver, type RelayStore, type StoredEntry } from './store';

const SHARDS = 8;
/** Keys swept per alarm: the sweep must stay well inside a Durable Object's limits however many keys there are. */
const SWEEP_BATCH = 500;
const SWEEP_CURSOR = '~sweep-cursor';

export class RelayStoreObject extends DurableObject {
  private readonly store = storeOver({
    read: (key) => this.ctx.storage.kv.get<StoredEntry>(key),
    write: (key, entry) => {
      this.ctx.storage.kv.put(key, entry);
      this.wakeAt(entry.expiresAt);
    },
  });

  private wakeAt(time: number): void {
    void this.ctx.storage.getAlarm().then((alarm) => {
      if (alarm === null || alarm > time) return this.ctx.storage.setAlarm(time);
    });
  }

  claim(key: string, ttlSeconds: number): Promise<boolean> {
    return this.store.claim(key, ttlSeconds);
  }

  get(key: string) {
    return this.store.get(key);
  }

  compareAndSet(key: string, expected: string | null, next: string, ttlSeconds: number): Promise<boolean> {
    return this.store.compareAndSet(key, expected, next, ttlSeconds);
  }

  increment(key: string, ttlSeconds: number): Promise<number> {
    return this.store.increment(key, ttlSeconds);
  }

  /**
   * Deletes expired keys a batch at a time, resuming where the last batch stopped, then sleeps until the next
   * key expires (or briefly, when there is more to sweep).
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const cursor = this.ctx.storage.kv.get<string>(SWEEP_CURSOR);
    let next = Infinity;
    let last: string | undefined;
    let seen = 0;
    for (const [key, entry] of this.ctx.storage.kv.list<StoredEntry>({ limit: SWEEP_BATCH, ...(cursor ? { startAfter: cursor } : {}) })) {
      if (key === SWEEP_CURSOR) continue;
      seen++;
      last = key;
      if (entry.expiresAt <= now) this.ctx.storage.kv.delete(key);
      else next = Math.min(next, entry.expiresAt);
    }
    if (seen >= SWEEP_BATCH - 1 && last) {
      this.ctx.storage.kv.put(SWEEP_CURSOR, last);
      next = Math.min(next, now + 1_000);
    } else {
      this.ctx.storage.kv.delete(SWEEP_CURSOR);
    }
    if (next !== Infinity) await this.ctx.storage.setAlarm(next);
  }
}

/** FNV-1a: a stable, cheap spread of keys over the shards. */
function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % SHARDS;
}

/** @example createRelay(config, { store: durableStore(env.RELAY_STORE) }) */
export function durableStore(namespace: DurableObjectNamespace<RelayStoreObject>): RelayStore {
  const stub = (key: string) => namespace.get(namespace.idFromName(`relay-store-${shardOf(key)}`));
  return {
    claim: (key, ttlSeconds) => stub(key).claim(key, ttlSeconds),
    get: (key) => stub(key).get(key),
    compareAndSet: (key, expected, next, ttlSeconds) => stub(key).compareAndSet(key, expected, next, ttlSeconds),
    increment: (key, ttlSeconds) => stub(key).increment(key, ttlSeconds),
  };
}
