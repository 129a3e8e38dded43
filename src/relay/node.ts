/**
 * The relay's Node listener: configuration from the environment, one JSON access-log line per request on
 * stdout (paths and statuses only — never codes, tokens or keys).
 *
 *   OAUTH_CLIENT_ID=… OAUTH_CLIENT_SECRET=… npm run relay          # OAuth mode
 *   RELAY_MODE=bridge RELAY_SEAL_KEY=… npm run relay                # API-key bridge for real Agile accounts
 *   npm run relay -- --new-key                                      # prints a fresh RELAY_SEAL_KEY
 */
import { base64url } from '../shared/random';
import { isMain, listen, type Listening } from '../shared/node-listen';
import { createRelay, type RelayDeps } from './app';
import { nodeClientAddress } from './client-address';
import { isLoopbackHost } from '../shared/loopback';
import { readRelayConfig, RelayConfigError, type RelayEnv } from './config';
import { resolveProvider } from './provider';
import { redisStore } from './redis-store';

export interface RelayServer extends Listening {
  url: string;
}

export interface RelayOptions extends RelayDeps {
  port?: number;
  host?: string;
  /** Start-up warnings and store connection changes (default: stderr). */
  warn?: (message: string) => void;
}

/** How long start-up waits for Redis before serving anyway (answering 503 where the store is needed until it is up). */
const REDIS_START_WAIT_MS = 3_000;

/**
 * Checks the configuration — and, in OAuth mode with `OAUTH_ISSUER`, discovers the provider — before listening;
 * throws `RelayConfigError` with every problem found.
 *
 * @example const relay = await startRelay({ OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 's' }, { port: 0 });
 */
export async function startRelay(env: RelayEnv, options: RelayOptions = {}): Promise<RelayServer> {
  const { config, problems } = readRelayConfig(env);
  const { port, host, warn = (message: string) => console.warn(message), ...deps } = options;
  const facesNetwork = !!host && !isLoopbackHost(host) && host !== '::1';
  // Reachable from other machines means behind a proxy that terminates TLS: the request's own origin would then
  // be the proxy-to-relay leg (http://…), so the public address must be said.
  if (facesNetwork && !config.publicUrl) {
    problems.push(`RELAY_PUBLIC_URL is required when the relay listens on ${host}: set it to the https:// address the extension uses.`);
  }
  let provider = deps.provider;
  if (config.mode.kind === 'oauth' && !provider) {
    const resolved = await resolveProvider(config.mode, { fetch: deps.fetch ?? fetch, timeoutMs: config.upstreamTimeoutMs });
    problems.push(...resolved.problems);
    provider = resolved.provider ?? undefined;
  }
  if (problems.length > 0) throw new RelayConfigError(problems);
  const redis = !deps.store && config.storeUrl ? redisStore(config.storeUrl, { log: warn }) : null;
  if (redis && !(await redis.ready(REDIS_START_WAIT_MS))) {
    warn('Relay store: Redis did not answer at start-up; the relay serves anyway and answers 503 where it needs the store until Redis is back.');
  }
  if (facesNetwork && !deps.store && !config.storeUrl) {
    warn('The relay keeps its state in memory: revocations live and die with this process (and so do refresh answers kept for the reuse grace); other '
      + 'instances do not see them. Set RELAY_STORE_URL=redis://… to keep them in Redis.');
  }
  const app = createRelay(config, {
    clientAddress: nodeClientAddress(config.clientAddress, warn),
    ...deps,
    provider,
    ...(redis ? { store: redis } : {}),
  });
  let server: Listening;
  try {
    server = await listen(app.fetch, { port, host });
  } catch (error) {
    await redis?.close();
    throw error;
  }
  return {
    ...server,
    close: async () => {
      await server.close();
      await redis?.close();
    },
  };
}

if (isMain(import.meta.url)) {
  if (process.argv.includes('--new-key')) {
    console.log(base64url(crypto.getRandomValues(new Uint8Array(32))));
  } else {
    try {
      const relay = await startRelay(process.env, {
        port: Number(process.env.RELAY_PORT ?? 8787),
        host: process.env.RELAY_HOST ?? '127.0.0.1',
        // One write per line, without console's formatting: under a flood the log must not cost more than the answer.
        log: (entry) => void process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`),
      });
      console.log(`Relay (${process.env.RELAY_MODE ?? 'oauth'} mode) listening on ${relay.url}`);
      const stop = () => void relay.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (error) {
      console.error(error instanceof RelayConfigError ? error.message : error);
      process.exit(1);
    }
  }
}
