/**
 * The relay under test on either runtime: the Node listener, or the Worker in workerd (miniflare). The relay
 * suites run once per runtime, unchanged, against the URL this returns.
 */
import { startWorkerdRelay } from '../scripts/workerd-relay';
import type { RelayEnv } from '../src/relay/config';
import type { AccessLogEntry } from '../src/relay/middleware/access-log';
import { startRelay } from '../src/relay/node';

export const RUNTIMES = ['node', 'workerd'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export interface RunningRelay {
  url: string;
  log: AccessLogEntry[];
  close(): Promise<void>;
}

export async function startRelayOn(runtime: Runtime, env: RelayEnv): Promise<RunningRelay> {
  if (runtime === 'workerd') return startWorkerdRelay(env);
  const log: AccessLogEntry[] = [];
  const relay = await startRelay(env, { port: 0, host: '127.0.0.2', log: (entry) => log.push(entry) });
  return { url: relay.url, log, close: relay.close };
}

/** The Worker writes its log through workerd's stdout, a moment after answering. */
export async function settledLog(relay: RunningRelay, atLeast: number): Promise<AccessLogEntry[]> {
  for (let i = 0; i < 100 && relay.log.length < atLeast; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return relay.log;
}
