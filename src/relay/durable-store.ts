/**
 * The relay's shared state on Cloudflare Workers: `RelayStore` backed by Durable Objects.
 *
 * A Durable Object is one single-threaded instance with transactional storage, and its input gates hold other
 * requests while a storage call is pending: a read-then-write in `claim` cannot interleave with another, so an
 * authorization code is redeemed exactly once however many Worker instances race for it. (Workers KV would not do:
 * it is eventually consistent, and two instances could both read "unused" for a minute.)
 *
 * Keys are spread over a few objects by hash; every key always lands on the same one.
 */
import { DurableObject } from 'cloudflare:workers';
import type { RelayStore } from './store';

interface Entry {
  count: number;
  at: number;
  expiresAt: number;
}

const SHARDS = 8;

export class RelayStoreObject extends DurableObject {
  private async live(key: string): Promise<Entry | undefined> {
    const entry = await this.ctx.storage.get<Entry>(key);
    return entry && entry.expiresAt > Date.now() ? entry : undefined;
  }

  private async write(key: string, entry: Entry): Promise<void> {
    await this.ctx.storage.put(key, entry);
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > entry.expiresAt) await this.ctx.storage.setAlarm(entry.expiresAt);
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    if (await this.live(key)) return false;
    const now = Date.now();
    await this.write(key, { count: 1, at: now, expiresAt: now + ttlSeconds * 1000 });
    return true;
  }

  async recordedAt(key: string): Promise<number | null> {
    return (await this.live(key))?.at ?? null;
  }

  async increment(key: string, ttlSeconds: number): Promise<number> {
    const now = Date.now();
    const entry = await this.live(key);
    const next = entry ? { ...entry, count: entry.count + 1 } : { count: 1, at: now, expiresAt: now + ttlSeconds * 1000 };
    await this.write(key, next);
    return next.count;
  }

  /** Sweeps expired keys, then sleeps until the next one expires. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let next = Infinity;
    for (const [key, entry] of await this.ctx.storage.list<Entry>()) {
      if (entry.expiresAt <= now) await this.ctx.storage.delete(key);
      else next = Math.min(next, entry.expiresAt);
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
    recordedAt: (key) => stub(key).recordedAt(key),
    increment: (key, ttlSeconds) => stub(key).increment(key, ttlSeconds),
  };
}
