/**
 * Two Node relays sharing one real redis-server (RELAY_STORE_URL), behind a round-robin reverse proxy on loopback:
 * everything the Durable Object store guarantees on Workers holds across Node processes — codes redeemed once,
 * one rotation per refresh token, revocations seen by every instance and kept across restarts — and a Redis that
 * stops answering makes the relay say so (503 in words) rather than guess.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleNodeServer } from '../../scripts/build-relay';
import { relayEnvFor } from '../../scripts/dev-stack';
import { startRelay, type RelayServer } from '../../src/relay/node';
import { startSandbox, type SandboxServer } from '../../src/sandbox/node';
import { ORIGIN, REDIRECT, send, startReverseProxy, submitSignIn, tokenRequest, VERIFIER, type ReverseProxy } from '../http-clients';
import { startRedis, type RedisServer } from '../../scripts/redis-server';

/** Short enough to wait out in a test, long enough for the steps inside it on a busy machine. */
const GRACE_SECONDS = 3;

let sandbox: SandboxServer;
let redis: RedisServer;
let env: Record<string, string | undefined>;
let relays: RelayServer[] = [];
let proxy: ReverseProxy;
const warnings: string[] = [];

const start = () => startRelay(env, { host: '127.0.0.2', port: 0, warn: (message) => warnings.push(message) });
beforeAll(async () => {
  [sandbox, redis] = await Promise.all([startSandbox(), startRedis()]);
  env = { ...relayEnvFor('bridge', sandbox.url), RELAY_STORE_URL: redis.url, RELAY_REFRESH_REUSE_GRACE: String(GRACE_SECONDS) };
  relays = await Promise.all([start(), start()]);
  proxy = await startReverseProxy(relays.map((relay) => relay.url));
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await Promise.all(relays.map((relay) => relay.close()));
  await Promise.all([redis?.stop(), sandbox?.close()]);
});

const user = () => sandbox.state.users[0]!;
const credentials = () => ({ domain: sandbox.state.domain, email: user().email, apiKey: user().apiKey });
const [a, b] = [() => relays[0]!.url, () => relays[1]!.url];

/** Each sign-in from a network address of its own, as reps on their own machines: the tests sign in often. */
let signIns = 0;
const freshAddress = () => `127.1.${Math.floor(++signIns / 250)}.${signIns % 250}`;
async function codeFrom(url: string): Promise<string> {
  const signedIn = await submitSignIn(url, credentials(), { from: freshAddress() });
  if (!signedIn.code) throw new Error(`no code: ${signedIn.status} ${signedIn.problem}`);
  return signedIn.code;
}
const redeem = (url: string, code: string) => tokenRequest(url, { grant_type: 'authorization_code', code, code_verifier: VERIFIER, redirect_uri: REDIRECT });
const refresh = (url: string, token: string) => tokenRequest(url, { grant_type: 'refresh_token', refresh_token: token });
async function session(url: string) {
  const issued = await redeem(url, await codeFrom(url));
  expect(issued.status).toBe(200);
  return { access: issued.json.access_token!, refresh: issued.json.refresh_token! };
}
const lookup = (url: string, access: string) => send(`${url}/agile/contacts/search/email/${encodeURIComponent(user().email)}`, {
  headers: { Origin: ORIGIN, Authorization: `Bearer ${access}`, Accept: 'application/json' },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two relays, one Redis', { timeout: 60_000 }, () => {
  it('20 concurrent redemptions of one code through the round-robin proxy: exactly one success', async () => {
    const code = await codeFrom(proxy.url);
    const answers = await Promise.all(Array.from({ length: 20 }, () => redeem(proxy.url, code)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 400 && answer.json.error === 'invalid_grant')).toHaveLength(19);
  });

  it('a refresh token rotated through one relay and presented to the other behaves exactly as on one relay, within and after the grace', async () => {
    /** The reuse story, step by step; `at(i)` is the relay that serves step i. Returns what each step answered. */
    const story = async (at: (step: number) => string) => {
      const outcomes: string[] = [];
      const note = (answer: { status: number; json: Record<string, string> }) => outcomes.push(`${answer.status} ${answer.json.error ?? 'ok'}`);
      const first = await session(at(0));
      const rotated = await refresh(at(1), first.refresh);
      note(rotated);
      const retried = await refresh(at(2), first.refresh);
      note(retried);
      note(await refresh(at(3), retried.json.refresh_token!));
      await sleep(GRACE_SECONDS * 1000 + 500);
      note(await refresh(at(4), first.refresh));
      note(await refresh(at(5), rotated.json.refresh_token!));
      outcomes.push(String((await lookup(at(6), retried.json.access_token!)).status));
      return outcomes;
    };
    const [alone, across] = await Promise.all([story(() => a()), story((step) => (step % 2 ? b() : a()))]);
    expect(alone).toEqual(['200 ok', '200 ok', '200 ok', '400 invalid_grant', '400 invalid_grant', '401']);
    expect(across).toEqual(alone);
  });

  it('revoked through one relay, refused by the other', async () => {
    const { access, refresh: token } = await session(a());
    expect((await lookup(b(), access)).status).toBe(204);
    expect((await send(`${a()}/revoke`, { method: 'POST', headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${token}` })).status).toBe(200);
    expect((await refresh(b(), token)).json.error).toBe('invalid_grant');
    expect((await lookup(b(), access)).status).toBe(401);
  });

  it('both relays restarted: every revocation still holds, every live session still works', async () => {
    const sessions = await Promise.all(Array.from({ length: 4 }, (_, i) => session(i % 2 ? b() : a())));
    const usedCode = await codeFrom(a());
    expect((await redeem(b(), usedCode)).status).toBe(200);
    for (const [i, { refresh: token }] of sessions.slice(0, 3).entries()) {
      await send(`${i % 2 ? a() : b()}/revoke`, { method: 'POST', headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });
    }
    await Promise.all(relays.map((relay) => relay.close()));
    relays = await Promise.all([start(), start()]);
    proxy.targets = relays.map((relay) => relay.url);

    for (const { access, refresh: token } of sessions.slice(0, 3)) {
      expect((await refresh(b(), token)).json.error).toBe('invalid_grant');
      expect((await lookup(a(), access)).status).toBe(401);
    }
    expect((await redeem(a(), usedCode)).json.error).toBe('invalid_grant');
    const live = sessions[3]!;
    expect((await lookup(b(), live.access)).status).toBe(204);
    expect((await refresh(a(), live.refresh)).status).toBe(200);
  });
});

describe('Redis stopped mid-run', { timeout: 60_000 }, () => {
  const unavailable = /cannot reach its store \(Redis\)/;

  it('hung (SIGSTOP): 503 with words within the command timeout; what was in doubt ends on the safe side', async () => {
    const kept = await session(a());
    const revokedLate = await session(b());
    const code = await codeFrom(b());
    redis.pause();
    try {
      const started = Date.now();
      const [redeemed, refreshed, looked, revoked, health] = await Promise.all([
        redeem(a(), code), refresh(b(), kept.refresh), lookup(a(), kept.access),
        send(`${b()}/revoke`, { method: 'POST', headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${revokedLate.refresh}` }),
        send(`${a()}/health`),
      ]);
      expect(Date.now() - started).toBeLessThan(8_000);
      for (const answer of [redeemed, refreshed]) expect(answer).toMatchObject({ status: 503, json: { error: 'temporarily_unavailable', error_description: expect.stringMatching(unavailable) } });
      expect(looked.status).toBe(503);
      expect(revoked.status).toBe(503);
      expect(revoked.headers['retry-after']).toBe('5');
      expect(health.status).toBe(200);
      const signIn = await submitSignIn(a(), credentials(), { from: freshAddress() });
      expect(signIn.status).toBe(200);
      expect(signIn.problem).toMatch(unavailable);
    } finally {
      redis.resume();
    }
    // A refresh refused before it changed anything still works.
    expect((await refresh(a(), kept.refresh)).status).toBe(200);
    // Writes that reached Redis while it hung are applied when it wakes: the caller was told 503, and the outcome
    // is the safe one — the code is never redeemed twice, the sign-out holds.
    expect((await redeem(b(), code)).json.error).toBe('invalid_grant');
    expect((await refresh(a(), revokedLate.refresh)).json.error).toBe('invalid_grant');
  });

  it('killed: 503 with words at once, no crash, no fallback to memory; back to work when Redis is', async () => {
    const { access, refresh: token } = await session(b());
    const code = await codeFrom(a());
    const before = warnings.length;
    await redis.stop();
    const redeemed = await redeem(a(), code);
    expect(redeemed).toMatchObject({ status: 503, json: { error_description: expect.stringMatching(unavailable) } });
    expect((await refresh(b(), token)).status).toBe(503);
    expect((await lookup(a(), access)).status).toBe(503);
    expect((await send(`${b()}/health`)).status).toBe(200);
    await redis.restart();
    const deadline = Date.now() + 15_000;
    let answer = await submitSignIn(a(), credentials(), { from: freshAddress() });
    while (!answer.code && Date.now() < deadline) {
      await sleep(200);
      answer = await submitSignIn(a(), credentials(), { from: freshAddress() });
    }
    expect(answer.code).toBeTruthy();
    expect((await redeem(b(), answer.code!)).status).toBe(200);
    // Each relay said once that Redis went away, and once that it is back — not once per retry.
    const said = warnings.slice(before);
    expect(said.filter((line) => /not reachable/.test(line)).length).toBe(2);
    expect(said.filter((line) => /reachable again/.test(line)).length).toBe(2);
  });
});

describe('start-up', { timeout: 60_000 }, () => {
  it('the deployment build (npm run build:relay) runs on plain Node and shares the same Redis', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agile-relay-build-'));
    const file = await bundleNodeServer('src/relay/node.ts', path.join(dir, 'relay.mjs'));
    const child = spawn(process.execPath, [file], { env: { ...process.env, ...env, RELAY_PORT: '0', RELAY_HOST: '127.0.0.2' }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let seen = '';
        child.stdout.on('data', (chunk: Buffer) => {
          const found = /listening on (http:\/\/[\d.:]+)/.exec((seen += chunk.toString()))?.[1];
          if (found) resolve(found);
        });
        child.stderr.on('data', (chunk: Buffer) => (seen += chunk.toString()));
        child.once('exit', (code) => reject(new Error(`the bundled relay exited (${code}): ${seen}`)));
      });
      const { access, refresh: token } = await session(url);
      expect((await lookup(a(), access)).status).toBe(204);
      await send(`${a()}/revoke`, { method: 'POST', headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${token}` });
      expect((await refresh(url, token)).json.error).toBe('invalid_grant');
    } finally {
      child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    }
  });


  it('off loopback without RELAY_STORE_URL, the relay warns that revocations live and die with the process', async () => {
    const said: string[] = [];
    const base = { ...relayEnvFor('bridge', sandbox.url), RELAY_PUBLIC_URL: 'https://relay.example.com' };
    const alone = await startRelay(base, { host: '0.0.0.0', port: 0, warn: (message) => said.push(message) });
    await alone.close();
    expect(said).toEqual([expect.stringMatching(/revocations live and die with this process.*RELAY_STORE_URL/s)]);
    said.length = 0;
    const shared = await startRelay({ ...base, RELAY_STORE_URL: redis.url }, { host: '0.0.0.0', port: 0, warn: (message) => said.push(message) });
    await shared.close();
    expect(said).toEqual([]);
  });

  it('refuses a RELAY_STORE_URL that is not Redis, without echoing it', async () => {
    await expect(startRelay({ ...relayEnvFor('bridge', sandbox.url), RELAY_STORE_URL: 'postgres://user:secret@db/x' })).rejects.toThrow(/RELAY_STORE_URL must be a redis:\/\/ or rediss:\/\/ URL\.$/m);
  });
});
