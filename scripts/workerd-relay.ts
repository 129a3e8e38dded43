/**
 * The relay as a Cloudflare Worker, run locally in workerd (miniflare): the same bundle shape `wrangler deploy`
 * uploads, with its Durable Object store. Used by the relay tests (which run once per runtime), the end-to-end
 * test through workerd, and the benchmarks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import type { AccessLogEntry } from '../src/relay/middleware/access-log';
import type { RelayEnv } from '../src/relay/config';

const ENTRY = path.resolve(import.meta.dirname, '..', 'src', 'relay', 'worker.ts');
/** Must not be newer than the installed workerd supports; the same date as src/relay/wrangler.toml. */
export const COMPATIBILITY_DATE = '2025-09-01';

let bundled: Promise<{ file: string; dir: string }> | null = null;

/** Bundles src/relay/worker.ts once per process, as wrangler does (ES module, `cloudflare:*` left to the runtime). */
function bundleWorker(): Promise<{ file: string; dir: string }> {
  bundled ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agile-relay-worker-'));
    const file = path.join(dir, 'worker.mjs');
    await build({
      entryPoints: [ENTRY], outfile: file, bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
      mainFields: ['module', 'main'], conditions: ['workerd', 'worker', 'browser'], external: ['cloudflare:*'], logLevel: 'warning',
    });
    process.once('exit', () => void rm(dir, { recursive: true, force: true }));
    return { file, dir };
  })();
  return bundled;
}

/** One store Durable Object as miniflare hands it to Node: its RPC methods, called across the process boundary. */
export interface StoreObjectStub {
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  get(key: string): Promise<{ value: string; at: number } | null>;
  compareAndSet(key: string, expected: string | null, next: string, ttlSeconds: number): Promise<boolean>;
  increment(key: string, ttlSeconds: number): Promise<number>;
}

export interface WorkerdRelay {
  url: string;
  /** Access-log lines the Worker wrote (console.log), parsed. */
  log: AccessLogEntry[];
  /** The `RELAY_STORE` Durable Object named `name`, for tests of the store itself. */
  storeObject(name: string): Promise<StoreObjectStub>;
  close(): Promise<void>;
}

/**
 * Miniflare serves on 127.0.0.1 (it ignores other loopback addresses). `bundle` runs a prebuilt Worker (the one
 * `wrangler deploy --dry-run` writes) instead of bundling src/relay/worker.ts.
 *
 * @example const relay = await startWorkerdRelay(relayEnvFor('bridge', sandbox.url)); fetch(`${relay.url}/health`)
 */
export async function startWorkerdRelay(env: RelayEnv, options: { bundle?: string } = {}): Promise<WorkerdRelay> {
  const { file, dir } = options.bundle ? { file: options.bundle, dir: path.dirname(options.bundle) } : await bundleWorker();
  const log: AccessLogEntry[] = [];
  let pending = '';
  const bindings = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const mf = new Miniflare({
    modules: true,
    scriptPath: file,
    modulesRoot: dir,
    compatibilityDate: COMPATIBILITY_DATE,
    host: '127.0.0.1',
    port: 0,
    cf: false,
    bindings,
    durableObjects: { RELAY_STORE: { className: 'RelayStoreObject', useSQLite: true } },
    handleRuntimeStdio(stdout, stderr) {
      stdout.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          try {
            const entry = JSON.parse(line.slice(line.indexOf('{'))) as AccessLogEntry;
            if (entry.path) log.push(entry);
          } catch {
            // Not an access-log line.
          }
        }
      });
      stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    },
  });
  const url = (await mf.ready).origin;
  const storeObject = async (name: string) => {
    const namespace = await mf.getDurableObjectNamespace('RELAY_STORE');
    return namespace.get(namespace.idFromName(name)) as unknown as StoreObjectStub;
  };
  return { url, log, storeObject, close: () => mf.dispose() };
}
