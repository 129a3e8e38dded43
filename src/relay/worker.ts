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
import type { RelayBindings } from './oauth-proxy';
import { resolveProvider } from './provider';

export { RelayStoreObject };

interface Env {
  RELAY_STORE: DurableObjectNamespace<RelayStoreObject>;
  [name: string]: unknown;
}

/** Text bindings (vars and secrets) are the configuration; anything else (the Durable Object) is not. */
function textBindings(env: Env): RelayEnv {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/**
 * Built once per isolate, on the first request: Workers have no start-up hook. A configuration or discovery
 * problem is not kept, so the next request tries again (the provider may have been down for a moment).
 */
let relay: { env: Env; app: Hono } | null = null;

async function build(env: Env): Promise<Hono> {
  const config = loadRelayConfig(textBindings(env));
  let provider;
  if (config.mode.kind === 'oauth') {
    const resolved = await resolveProvider(config.mode, { fetch: (input, init) => fetch(input, init), timeoutMs: config.upstreamTimeoutMs });
    if (resolved.problems.length > 0) throw new RelayConfigError(resolved.problems);
    provider = resolved.provider ?? undefined;
  }
  return createRelay(config, {
    store: durableStore(env.RELAY_STORE),
    provider,
    log: (entry) => console.log(JSON.stringify(entry)),
    // Cloudflare's edge sets CF-Connecting-IP to the connecting client, replacing any a client sent.
    clientAddress: (c) => {
      const address = parseIp(c.req.header('cf-connecting-ip') ?? '');
      return address ? clientKey(address) : null;
    },
  });
}

export default {
  async fetch(request, env, ctx) {
    if (relay?.env !== env) {
      try {
        relay = { env, app: await build(env) };
      } catch (error) {
        // The details (which variables, which values) go to the Worker's logs (`wrangler tail`), not to callers.
        console.error(error instanceof RelayConfigError ? error.message : error);
        return Response.json(
          { error: 'server_error', error_description: 'The relay is not configured. Its operator can see why in the Worker logs.' },
          { status: 503, headers: { 'Cache-Control': 'no-store' } },
        );
      }
    }
    // The refresh-answer cache must finish its write even when the extension's worker hangs up mid-refresh.
    const bindings: RelayBindings = { waitUntil: (work) => ctx.waitUntil(work) };
    return relay.app.fetch(request, bindings, ctx);
  },
} satisfies ExportedHandler<Env>;
