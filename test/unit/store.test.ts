/**
 * The `RelayStore` contract, run unchanged against all three stores: in memory, the Durable Object (in workerd,
 * through miniflare) and Redis (a real redis-server). Then what only the memory store must do: stay within its
 * byte budget, sweep what expired, and never drop a security record to make room.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayEnvFor } from '../../scripts/dev-stack';
import { startWorkerdRelay, type WorkerdRelay } from '../../scripts/workerd-relay';
import { redisStore, type RedisStore } from '../../src/relay/redis-store';
import { LIMIT_PREFIX, memoryStore, StoreUnavailableError, type RelayStore } from '../../src/relay/store';
import { startRedis, type RedisServer } from '../../scripts/redis-server';

const STORES = ['memory', 'durable object', 'redis'] as const;

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let redis: RedisServer;
let worker: WorkerdRelay;
const opened: RedisStore[] = [];
beforeAll(async () => {
  [redis, worker] = await Promise.all([startRedis(), startWorkerdRelay(relayEnvFor('bridge', 'http://127.0.0.1:9'))]);
}, 60_000);
afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await Promise.all([redis?.stop(), worker?.close()]);
});

async function open(kind: (typeof STORES)[number]): Promise<RelayStore> {
  if (kind === 'memory') return memoryStore();
  if (kind === 'redis') {
    const store = redisStore(redis.url, { log: () => undefined });
    opened.push(store);
    expect(await store.ready(5_000)).toBe(true);
    return store;
  }
  const object = await worker.storeObject(crypto.randomUUID());
  return {
    claim: (key, ttl) => object.claim(key, ttl),
    // Through miniflare's proxy the answer is a stub: read its fields across the boundary.
    get: async (key) => {
      const entry = await object.get(key);
      return entry ? { value: await entry.value, at: await entry.at } : null;
    },
    compareAndSet: (key, expected, next, ttl) => object.compareAndSet(key, expected, next, ttl),
    increment: (key, ttl) => object.increment(key, ttl),
  };
}

describe.each(STORES)('the %s store', { timeout: 60_000 }, (kind) => {
  let store: RelayStore;
  beforeAll(async () => {
    store = await open(kind);
  }, 30_000);
  const key = () => `test:${crypto.randomUUID()}`;

  it('claim: exactly one of 20 concurrent callers records the key', async () => {
    const name = key();
    const answers = await Promise.all(Array.from({ length: 20 }, () => store.claim(name, 60)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await store.claim(name, 60)).toBe(false);
    expect((await store.get(name))?.value).toBe('1');
  });

  it('get: null when absent; the value and when it was written', async () => {
    const name = key();
    expect(await store.get(name)).toBeNull();
    const before = Date.now();
    expect(await store.compareAndSet(name, null, 'a b:c', 60)).toBe(true);
    const entry = await store.get(name);
    expect(entry?.value).toBe('a b:c');
    expect(entry!.at).toBeGreaterThanOrEqual(before - 1_000);
    expect(entry!.at).toBeLessThanOrEqual(Date.now() + 1_000);
  });

  it('compare-and-set: writes only over the expected value; of 20 racing on one value, one wins', async () => {
    const name = key();
    expect(await store.compareAndSet(name, 'x', 'y', 60)).toBe(false);
    expect(await store.compareAndSet(name, null, 'first', 60)).toBe(true);
    expect(await store.compareAndSet(name, null, 'again', 60)).toBe(false);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => store.compareAndSet(name, 'first', `next-${i}`, 60)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect((await store.get(name))?.value).toBe(`next-${answers.indexOf(true)}`);
  });

  it('values and keys round-trip exactly, whatever their characters', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 40 }), fc.string({ minLength: 1, maxLength: 200 }), async (suffix, value) => {
      const name = `${key()}${suffix}`;
      expect(await store.compareAndSet(name, null, value, 60)).toBe(true);
      expect((await store.get(name))?.value).toBe(value);
      expect(await store.compareAndSet(name, value, `${value}!`, 60)).toBe(true);
    }), { numRuns: 25 });
  });

  it('increment: counts every one of 50 concurrent calls; get reads the count', async () => {
    const name = key();
    const counts = await Promise.all(Array.from({ length: 50 }, () => store.increment(name, 60)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await store.get(name))?.value).toBe('50');
  });

  it('expiry: every record goes after its TTL; a counter keeps the TTL it started with', async () => {
    const claimed = key();
    const counter = key();
    const swapped = key();
    expect(await store.claim(claimed, 1)).toBe(true);
    expect(await store.compareAndSet(swapped, null, 'v', 1)).toBe(true);
    expect(await store.increment(counter, 1)).toBe(1);
    await until(async () => (await store.get(claimed)) === null && (await store.get(swapped)) === null);
    expect(await store.claim(claimed, 60)).toBe(true);
    expect(await store.compareAndSet(swapped, null, 'again', 60)).toBe(true);
    // Incremented all along, the counter still ends when its first TTL does.
    await until(async () => (await store.increment(counter, 1)) === 1);
  });
});

describe('the memory store’s bounds', { timeout: 60_000 }, () => {
  it('rate-limit state stays within its budget: the oldest goes first, records are never dropped for room', () => {
    const store = memoryStore({ maxBytes: 256 * 1024 });
    const records = Array.from({ length: 200 }, (_, i) => `revoked:${i}`);
    return (async () => {
      for (const name of records) expect(await store.claim(name, 3_600)).toBe(true);
      for (let i = 0; i < 20_000; i++) await store.increment(`${LIMIT_PREFIX}client:${i}`, 600);
      const usage = store.usage();
      expect(usage.limits.bytes).toBeLessThanOrEqual(64 * 1024);
      expect(usage.limits.entries).toBeGreaterThan(100);
      expect(usage.records.entries).toBe(200);
      for (const name of records) expect(await store.get(name)).not.toBeNull();
      expect(await store.get(`${LIMIT_PREFIX}client:19999`)).not.toBeNull();
      expect(await store.get(`${LIMIT_PREFIX}client:0`)).toBeNull();
    })();
  });

  it('a store with no room for a record refuses it in words, and keeps every record it has', async () => {
    const store = memoryStore({ maxBytes: 64 * 1024 });
    let stored = 0;
    let refusal: unknown = null;
    for (let i = 0; i < 10_000 && !refusal; i++) {
      try {
        await store.claim(`revoked:${i}`, 3_600);
        stored++;
      } catch (error) {
        refusal = error;
      }
    }
    expect(refusal).toBeInstanceOf(StoreUnavailableError);
    expect((refusal as Error).message).toMatch(/memory store is full/);
    for (let i = 0; i < stored; i++) expect(await store.claim(`revoked:${i}`, 3_600)).toBe(false);
    // Rate-limit state has its own budget: it still works.
    expect(await store.increment(`${LIMIT_PREFIX}x`, 60)).toBe(1);
  });

  it('expired records are swept as the store is written, without waiting for a read', async () => {
    let now = 1_000_000;
    const store = memoryStore({ now: () => now });
    for (let i = 0; i < 5_000; i++) await store.claim(`code:${i}`, 60);
    for (let i = 0; i < 5_000; i++) await store.increment(`${LIMIT_PREFIX}${i}`, 60);
    now += 61_000;
    for (let i = 0; i < 1_500; i++) {
      await store.claim(`later:${i}`, 60);
      await store.increment(`${LIMIT_PREFIX}later:${i}`, 60);
    }
    expect(store.usage().records.entries).toBe(1_500);
    expect(store.usage().limits.entries).toBe(1_500);
  });

  it('whatever the mix of writes, no record is ever dropped before it expires', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), fc.nat(400)), { maxLength: 300 }), async (writes) => {
      const store = memoryStore({ maxBytes: 16 * 1024 });
      const kept = new Set<string>();
      for (const [record, n] of writes) {
        if (record) {
          try {
            if (await store.claim(`revoked:${n}`, 3_600)) kept.add(`revoked:${n}`);
          } catch (error) {
            expect(error).toBeInstanceOf(StoreUnavailableError);
          }
        } else {
          await store.increment(`${LIMIT_PREFIX}${n}`, 600);
        }
      }
      for (const name of kept) expect(await store.get(name)).not.toBeNull();
    }), { numRuns: 50 });
  });
});
