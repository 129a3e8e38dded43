/**
 * `npm run bench` section "attack": does the relay hold its load while strangers hammer it?
 *
 * For each deployment — the Node relay with its memory store, the Node relay on Redis, the Worker in workerd — 32
 * reps keep refreshing their tokens (bridge mode: rotation, revocation checks, the store on every exchange), first
 * quietly, then while an attacker process sends wrong-key sign-ins from 500 loopback addresses as fast as the relay
 * answers. Reported: the refresh p50/p99 and throughput in both phases, how many refreshes failed (target: none),
 * the p99 ratio (target ≤ 3×), what the attacker got; and the Redis store against the memory store.
 *
 * Placement as for the other relay figures: the relay alone on core 1; the sandbox, Redis and the reps' load
 * generator on core 0, with the attacker there too at the lowest CPU priority (it takes what they leave, which is
 * most of the core: it stands for clients on other machines and must not slow the reps' own).
 */
import { spawn, spawnSync } from 'node:child_process';
import { relayEnvFor } from '../scripts/dev-stack';
import { startRedis } from '../scripts/redis-server';
import { startWorkerdRelay } from '../scripts/workerd-relay';
import { BRIDGE_CLIENT_ID } from '../src/relay/bridge';
import { extensionOrigin, PINNED_EXTENSION_ID } from '../src/shared/extension-id';
import { REDIRECT, submitSignIn, tokenRequest, VERIFIER } from '../test/http-clients';
import { bundle, canPin, pinSelf, pinWorkerd, startProcess } from './processes';

export type Report = (metric: string, value: number | string, unit: string, method: string) => void;

const CHAINS = 32;
const PER_CHAIN = 40;
const ORIGIN = extensionOrigin(PINNED_EXTENSION_ID);

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const median = (values: number[]) => percentile(values, 50);
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

interface Round {
  perSecond: number;
  p50: number;
  p99: number;
  sent: number;
  failed: number;
}

/** Reps sign in once each, from addresses of their own, and keep their refresh-token chains across rounds. */
let signIns = 0;
async function reps(url: string, cloudflare: boolean): Promise<string[]> {
  return Promise.all(Array.from({ length: CHAINS }, async () => {
    const from = `127.8.${Math.floor(++signIns / 250)}.${(signIns % 250) + 1}`;
    const signedIn = await submitSignIn(url, { domain: 'demo', email: 'demo@example.com', apiKey: 'sbx-demo-8f3k2m9q7w1z5x4c' }, {
      from, headers: cloudflare ? { 'CF-Connecting-IP': from } : {},
    });
    if (!signedIn.code) throw new Error(`the bench's rep could not sign in: ${signedIn.problem}`);
    const issued = await tokenRequest(url, { grant_type: 'authorization_code', code: signedIn.code, code_verifier: VERIFIER, redirect_uri: REDIRECT });
    return issued.json.refresh_token!;
  }));
}

/** Every chain refreshes `PER_CHAIN` times in turn; a chain whose refresh fails stops (its token is gone). */
async function refreshRound(url: string, chains: string[]): Promise<Round> {
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  await Promise.all(chains.map(async (_, index) => {
    for (let i = 0; i < PER_CHAIN && chains[index]; i++) {
      const t0 = performance.now();
      const response = await fetch(`${url}/token`, {
        method: 'POST', headers: { Origin: ORIGIN },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chains[index]!, client_id: BRIDGE_CLIENT_ID }),
      }).catch(() => null);
      const body = response ? ((await response.json()) as { refresh_token?: string }) : {};
      latencies.push(performance.now() - t0);
      if (!body.refresh_token) {
        failed++;
        chains[index] = '';
      } else {
        chains[index] = body.refresh_token;
      }
    }
  }));
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), sent: latencies.length, failed };
}

interface AttackResult {
  sent: number;
  perSecond: number;
  outcomes: Record<string, number>;
}

/** Starts the attacker process on core 0; resolves once it is sending. `stop()` ends it and reads its tally. */
async function startAttacker(file: string, url: string, cloudflare: boolean): Promise<{ stop(): Promise<AttackResult> }> {
  // Lowest CPU priority: the attacker stands for machines elsewhere, and must not slow the reps' own load generator
  // on the core they share — only the relay is measured.
  const pinned = canPin();
  const command = [...(pinned ? ['taskset', '-c', '0'] : []), 'nice', '-n', '19', process.execPath, file];
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, ATTACK_URL: url, ATTACK_CF: cloudflare ? '1' : '0' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('attacking')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the attacker exited (${code}) before attacking: ${output}`)));
  });
  return {
    stop: () => new Promise<AttackResult>((resolve, reject) => {
      child.removeAllListeners('exit');
      child.once('exit', () => {
        try {
          resolve(JSON.parse(output.trim().split('\n').at(-1)!) as AttackResult);
        } catch {
          reject(new Error(`the attacker printed no tally: ${output}`));
        }
      });
      child.kill('SIGTERM');
    }),
  };
}

interface Measured {
  quiet: Round;
  attacked: Round;
  attack: AttackResult;
}

async function measure(url: string, attacker: string, cloudflare: boolean, runs: number): Promise<Measured> {
  const chains = await reps(url, cloudflare);
  const rounds = async (count: number) => {
    const all: Round[] = [];
    for (let i = 0; i < count; i++) all.push(await refreshRound(url, chains));
    return all;
  };
  const summary = (all: Round[]): Round => ({
    perSecond: median(all.map((r) => r.perSecond)), p50: median(all.map((r) => r.p50)), p99: median(all.map((r) => r.p99)),
    sent: all.reduce((sum, r) => sum + r.sent, 0), failed: all.reduce((sum, r) => sum + r.failed, 0),
  });
  await rounds(5);
  const quiet = summary(await rounds(runs));
  const attack = await startAttacker(attacker, url, cloudflare);
  let attacked: Round;
  try {
    // A second of flood first, so the reps meet the attack at full strength.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    attacked = summary(await rounds(runs));
  } catch (error) {
    await attack.stop().catch(() => undefined);
    throw error;
  }
  return { quiet, attacked, attack: await attack.stop() };
}

/** @example await loadHeld({ runs: 20, report }) */
export async function loadHeld({ runs, report }: { runs: number; report: Report }): Promise<void> {
  const pinned = pinSelf(0);
  const sandbox = await startProcess(await bundle('src/sandbox/node.ts', 'sandbox'), { SANDBOX_PORT: '0' }, 0);
  const redis = await startRedis();
  if (pinned) spawnSync('taskset', ['-cp', '0', String(redis.pid)]);
  const relayFile = await bundle('src/relay/node.ts', 'relay');
  const attacker = await bundle('bench/attacker.ts', 'attacker');
  const env = { ...relayEnvFor('bridge', sandbox.url), RELAY_PORT: '0', RELAY_HOST: '127.0.0.2' };
  const results: Record<string, Measured> = {};
  try {
    for (const [label, store] of [['Node, memory store', null], ['Node, Redis store', redis.url]] as const) {
      const relay = await startProcess(relayFile, { ...env, ...(store ? { RELAY_STORE_URL: store } : {}) }, 1);
      try {
        results[label] = await measure(relay.url, attacker, false, runs);
      } finally {
        await relay.stop();
      }
    }
    const worker = await startWorkerdRelay(relayEnvFor('bridge', sandbox.url));
    const workerPinned = pinWorkerd(1);
    try {
      results[`workerd${workerPinned ? '' : ' (unpinned)'}`] = await measure(worker.url, attacker, true, runs);
    } finally {
      await worker.close();
    }
  } finally {
    await redis.stop();
    await sandbox.stop();
  }

  const method = `${CHAINS} reps refreshing (bridge mode, rotation chains) × ${PER_CHAIN} per round, ${runs} rounds after 5 warm-up, medians; `
    + 'attack: wrong-key sign-ins from 500 loopback addresses, 64 at a time, as fast as the relay answers';
  for (const [label, { quiet, attacked, attack }] of Object.entries(results)) {
    report(`load held, relay on ${label}: refresh p50 / p99 quiet`, `${round(quiet.p50, 2)} / ${round(quiet.p99, 2)}`, 'ms', method);
    report(`load held, relay on ${label}: refresh p50 / p99 under attack`, `${round(attacked.p50, 2)} / ${round(attacked.p99, 2)}`, 'ms', method);
    report(`load held, relay on ${label}: p99 under attack ÷ quiet`, round(attacked.p99 / quiet.p99, 2), '×', 'target ≤ 3');
    report(`load held, relay on ${label}: refreshes that failed under attack`, `${attacked.failed} of ${attacked.sent}`, 'requests', 'target 0');
    report(`load held, relay on ${label}: refresh throughput quiet / under attack`, `${round(quiet.perSecond, 0)} / ${round(attacked.perSecond, 0)}`, 'req/s', method);
    const { checked = 0, slowed = 0, busy = 0, other = 0, failed = 0 } = attack.outcomes;
    report(`load held, relay on ${label}: attacker's sign-ins`, `${round(attack.perSecond, 0)}/s: ${checked} checked, ${slowed} slowed down, ${busy} busy, ${other + failed} other`, '', 'what the relay answered the attacker');
  }
  const memory = results['Node, memory store'];
  const shared = results['Node, Redis store'];
  if (memory && shared) {
    report('refresh via relay on Node, Redis store ÷ memory store: throughput', round(shared.quiet.perSecond / memory.quiet.perSecond, 2), '×', `${round(shared.quiet.perSecond, 0)} ÷ ${round(memory.quiet.perSecond, 0)} req/s, quiet phase; Redis on core 0`);
    report('refresh via relay on Node, Redis store vs memory store: p50 / p99', `${round(shared.quiet.p50, 2)} / ${round(shared.quiet.p99, 2)} vs ${round(memory.quiet.p50, 2)} / ${round(memory.quiet.p99, 2)}`, 'ms', 'quiet phase');
  }
}
