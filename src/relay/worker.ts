/**
 * The relay on Cloudflare Workers: the same Hono app as the Node listener, configured from the Worker's
 * bindings (the same names as the Node environment), with its shared state in Durable Objects.
 *
 *   npx wrangler deploy -c src/relay/wrangler.toml
 */
import type { Hono } from 'hono';
import { createRelay } from './app';
import { clientKey, parseIp } from './client-address';
import { loadRelayConfig, RelayConfigError, type RelayEnv } from './config';
import { durableStore, RelayStoreObject } from './durable-store';

export { RelayStoreObject };

interface Env {
  RELAY_STORE: DurableObjectNamespace<RelayStoreObject>;
  [name: string]: unknown;
}

/** Text bindings (vars and secrets) are the configuration; anything else (the Durable Object) is not. */
function textBindings(env: Env): RelayEnv {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** Built once per isolate, on the first request: Workers have no start-up hook. */
let relay: { env: Env; app: Hono } | null = null;

export default {
  async fetch(request, env) {
    if (relay?.env !== env) {
      try {
        const config = loadRelayConfig(textBindings(env));
        relay = {
          env,
          app: createRelay(config, {
            store: durableStore(env.RELAY_STORE),
            log: (entry) => console.log(JSON.stringify(entry)),
            // Cloudflare's edge sets CF-Connecting-IP to the connecting client, replacing any a client sent.
            clientAddress: (c) => {
              const address = parseIp(c.req.header('cf-connecting-ip') ?? '');
              return address ? clientKey(address) : null;
            },
          }),
        };
      } catch (error) {
        // The details (which variables, which values) go to the Worker's logs (`wrangler tail`), not to callers.
        console.error(error instanceof RelayConfigError ? error.message : error);
        return Response.json(
          { error: 'server_error', error_description: 'The relay is not configured. Its operator can see why in the Worker logs.' },
          { status: 503, headers: { 'Cache-Control': 'no-store' } },
        );
      }
    }
    return relay.app.fetch(request);
  },
} satisfies ExportedHandler<Env>;
