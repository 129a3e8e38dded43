/**
 * The relay's shared state on Redis, for several Node processes behind one address (`RELAY_STORE_URL`).
 *
 * Every operation is one atomic Redis command: a claim is `SET NX PX`, a compare-and-set and a counter are Lua
 * scripts (run with EVALSHA, which Redis executes without interleaving), so an authorization code is redeemed
 * once and a refresh token rotates once however many relays race for it. Every key is written with a TTL (`PX`;
 * a counter keeps the one it started with), so Redis holds live state only. A value is stored as
 * `<written at, epoch ms>:<value>`.
 *
 * When Redis cannot answer — down, unreachable, or not answering within `commandTimeoutMs` — every operation
 * fails with `StoreUnavailableError` (the relay answers 503 in words); it never falls back to memory, which would
 * let a revoked session or a used code work again. Node only: imported by node.ts, never by the Worker.
 */
import { Redis, type Result } from 'ioredis';
import { StoreUnavailableError, type RelayStore } from './store';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    relayCompareAndSet(key: string, expectAbsent: '0' | '1', expected: string, at: string, next: string, ttlMs: string): Result<number, Context>;
    relayIncrement(key: string, at: string, ttlMs: string): Result<number, Context>;
  }
}

/** The value part of a stored `<at>:<value>`, or false when the key is absent. */
const VALUE_OF = `
local function value_of(raw)
  if not raw then return false end
  return string.sub(raw, string.find(raw, ':', 1, true) + 1)
end`;

const COMPARE_AND_SET = `${VALUE_OF}
local current = value_of(redis.call('GET', KEYS[1]))
if ARGV[1] == '1' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3] .. ':' .. ARGV[4], 'PX', ARGV[5])
return 1`;

const INCREMENT = `
local raw = redis.call('GET', KEYS[1])
if not raw then
  redis.call('SET', KEYS[1], ARGV[1] .. ':1', 'PX', ARGV[2])
  return 1
end
local sep = string.find(raw, ':', 1, true)
local count = (tonumber(string.sub(raw, sep + 1)) or 0) + 1
redis.call('SET', KEYS[1], string.sub(raw, 1, sep) .. count, 'KEEPTTL')
return count`;

export interface RedisStoreOptions {
  /** How long one command may take before the request fails with 503 (a hung Redis must not hang the relay). */
  commandTimeoutMs?: number;
  /** Where connection changes and configuration warnings go (once per change, not per retry). */
  log?: (message: string) => void;
  now?: () => number;
}

export interface RedisStore extends RelayStore {
  /** Waits until Redis answers, at most `timeoutMs`; false if it did not (requests then answer 503 until it does). */
  ready(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** The URL without its password, for logs. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'RELAY_STORE_URL';
  }
}

/**
 * @example
 * const store = redisStore('redis://127.0.0.1:6379');
 * await store.ready(3_000);
 * createRelay(config, { store });
 */
export function redisStore(url: string, options: RedisStoreOptions = {}): RedisStore {
  const now = options.now ?? Date.now;
  const log = options.log ?? ((message: string) => console.warn(message));
  const redis = new Redis(url, {
    keyPrefix: 'agile-relay:',
    // Fail at once while disconnected, and do not resend a command whose answer was lost: the caller gets a 503.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  redis.defineCommand('relayCompareAndSet', { numberOfKeys: 1, lua: COMPARE_AND_SET });
  redis.defineCommand('relayIncrement', { numberOfKeys: 1, lua: INCREMENT });

  let reachable: boolean | null = null;
  let closing = false;
  const lost = (why: string) => {
    if (reachable === false || closing) return;
    reachable = false;
    log(`Relay store: Redis at ${safeUrl(url)} is not reachable (${why}); requests that need it answer 503 until it is back.`);
  };
  // Without an 'error' listener, a connection error would be an uncaught event and end the process.
  redis.on('error', (error: Error) => lost(error.message));
  redis.on('close', () => lost('connection closed'));
  redis.on('ready', () => {
    if (reachable === false) log(`Relay store: Redis at ${safeUrl(url)} is reachable again.`);
    reachable = true;
    // An evicting Redis could drop a revocation under memory pressure; noeviction makes it refuse writes instead.
    redis.config('GET', 'maxmemory-policy').then((answer) => {
      const policy = Array.isArray(answer) ? answer[1] : undefined;
      if (typeof policy === 'string' && policy !== 'noeviction') {
        log(`Relay store: Redis evicts keys under memory pressure (maxmemory-policy ${policy}), which could forget revocations. Set maxmemory-policy noeviction.`);
      }
    }, () => undefined);
  });

  // Callers get words they can act on; a lost connection is logged above.
  const guarded = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch {
      throw new StoreUnavailableError('The relay cannot reach its store (Redis) right now, so it cannot do this safely. Try again in a moment.');
    }
  };
  const ttlMs = (seconds: number) => String(Math.max(1, Math.round(seconds * 1000)));

  return {
    claim: (key, ttlSeconds) => guarded(async () => (await redis.set(key, `${now()}:1`, 'PX', ttlMs(ttlSeconds), 'NX')) === 'OK'),
    get: (key) => guarded(async () => {
      const raw = await redis.get(key);
      if (raw === null) return null;
      const separator = raw.indexOf(':');
      return { at: Number(raw.slice(0, separator)), value: raw.slice(separator + 1) };
    }),
    compareAndSet: (key, expected, next, ttlSeconds) => guarded(async () =>
      (await redis.relayCompareAndSet(key, expected === null ? '1' : '0', expected ?? '', String(now()), next, ttlMs(ttlSeconds))) === 1),
    increment: (key, ttlSeconds) => guarded(() => redis.relayIncrement(key, String(now()), ttlMs(ttlSeconds))),
    async ready(timeoutMs) {
      if (redis.status === 'ready') return true;
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          redis.off('ready', onReady);
          resolve(false);
        }, timeoutMs);
        const onReady = () => {
          clearTimeout(timer);
          resolve(true);
        };
        redis.once('ready', onReady);
      });
    },
    async close() {
      closing = true;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
