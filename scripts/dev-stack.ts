/**
 * Sandbox + relay on loopback, wired together with the development client registration: what `npm start`,
 * the end-to-end tests and the benchmarks run the extension against.
 */
import { startRelay } from '../src/relay/node';
import { startWorkerdRelay } from './workerd-relay';
import type { AccessLogEntry } from '../src/relay/middleware/access-log';
import type { RelayEnv } from '../src/relay/config';
import { DEV_CLIENT, startSandbox, type SandboxServer } from '../src/sandbox/node';
import type { SandboxOptions } from '../src/sandbox/state';
import { base64url } from '../src/shared/random';

export interface DevStack {
  sandbox: SandboxServer;
  relay: { url: string; close(): Promise<void> };
  /** Every access-log line the relay wrote, for tests that check nothing secret is logged. */
  relayLog: AccessLogEntry[];
  mode: 'oauth' | 'bridge';
  close(): Promise<void>;
}

export interface DevStackOptions {
  mode?: 'oauth' | 'bridge';
  /** Where the relay runs: the Node listener, or the Worker in workerd (miniflare). */
  runtime?: 'node' | 'workerd';
  sandbox?: SandboxOptions;
  sandboxPort?: number;
  relayPort?: number;
  /** Extra relay settings (token lifetimes, allowed origins…), or a function of the sandbox's URL giving them. */
  relayEnv?: RelayEnv | ((sandboxUrl: string) => RelayEnv);
  /**
   * The relay's loopback address. 127.0.0.2 by default: outside the extension's host permissions (which name
   * 127.0.0.1 for the sandbox), so the extension reaches it through CORS exactly as it reaches a deployed relay.
   */
  relayHost?: string;
}

/** The relay's environment for a sandbox at `sandboxUrl`: OAuth mode uses the sandbox's OAuth server, bridge mode its REST API. */
export function relayEnvFor(mode: 'oauth' | 'bridge', sandboxUrl: string): RelayEnv {
  return mode === 'oauth'
    ? { RELAY_MODE: 'oauth', OAUTH_CLIENT_ID: DEV_CLIENT.clientId, OAUTH_CLIENT_SECRET: DEV_CLIENT.clientSecret, AGILE_BASE_URL: sandboxUrl }
    : { RELAY_MODE: 'bridge', RELAY_SEAL_KEY: base64url(crypto.getRandomValues(new Uint8Array(32))), AGILE_BASE_URL: sandboxUrl };
}

/** @example const stack = await startDevStack({ mode: 'oauth' }); … await stack.close(); */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const mode = options.mode ?? 'oauth';
  const sandbox = await startSandbox({ ...options.sandbox, port: options.sandboxPort ?? 0 });
  const extra = typeof options.relayEnv === 'function' ? options.relayEnv(sandbox.url) : options.relayEnv;
  const env = { ...relayEnvFor(mode, sandbox.url), ...extra };
  let relay: DevStack['relay'];
  let relayLog: AccessLogEntry[];
  try {
    if (options.runtime === 'workerd') {
      const worker = await startWorkerdRelay(env);
      relay = worker;
      relayLog = worker.log;
    } else {
      const log: AccessLogEntry[] = [];
      relay = await startRelay(env, { port: options.relayPort ?? 0, host: options.relayHost ?? '127.0.0.2', log: (entry) => log.push(entry) });
      relayLog = log;
    }
  } catch (error) {
    await sandbox.close();
    throw error;
  }
  return {
    sandbox,
    relay,
    relayLog,
    mode,
    close: async () => {
      await relay.close();
      await sandbox.close();
    },
  };
}
