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
import { isLoopbackHost } from '../shared/loopback';
import { readRelayConfig, RelayConfigError, type RelayEnv } from './config';
import { resolveProvider } from './provider';

export interface RelayServer extends Listening {
  url: string;
}

/**
 * Checks the configuration — and, in OAuth mode with `OAUTH_ISSUER`, discovers the provider — before listening;
 * throws `RelayConfigError` with every problem found.
 *
 * @example const relay = await startRelay({ OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 's' }, { port: 0 });
 */
export async function startRelay(env: RelayEnv, options: { port?: number; host?: string } & RelayDeps = {}): Promise<RelayServer> {
  const { config, problems } = readRelayConfig(env);
  const { port, host, ...deps } = options;
  // Reachable from other machines means behind a proxy that terminates TLS: the request's own origin would then
  // be the proxy-to-relay leg (http://…), so the public address must be said.
  if (host && !isLoopbackHost(host) && host !== '::1' && !config.publicUrl) {
    problems.push(`RELAY_PUBLIC_URL is required when the relay listens on ${host}: set it to the https:// address the extension uses.`);
  }
  let provider = deps.provider;
  if (config.mode.kind === 'oauth' && !provider) {
    const resolved = await resolveProvider(config.mode, { fetch: deps.fetch ?? fetch, timeoutMs: config.upstreamTimeoutMs });
    problems.push(...resolved.problems);
    provider = resolved.provider ?? undefined;
  }
  if (problems.length > 0) throw new RelayConfigError(problems);
  const app = createRelay(config, { ...deps, provider });
  return listen(app.fetch, { port, host });
}

if (isMain(import.meta.url)) {
  if (process.argv.includes('--new-key')) {
    console.log(base64url(crypto.getRandomValues(new Uint8Array(32))));
  } else {
    try {
      const relay = await startRelay(process.env, {
        port: Number(process.env.RELAY_PORT ?? 8787),
        host: process.env.RELAY_HOST ?? '127.0.0.1',
        log: (entry) => console.log(JSON.stringify({ time: new Date().toISOString(), ...entry })),
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
