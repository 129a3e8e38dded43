/**
 * The refresh-answer cache on its own, over the real in-memory store: who calls the provider, who waits, and what
 * happens when the caller holding the call disappears or fails.
 */
import { describe, expect, it } from 'vitest';
import { refreshAnswers, type Exchanged, type RelayAnswer } from '../../src/relay/refresh-answers';
import { memoryStore, type RelayStore } from '../../src/relay/store';

const unavailable: RelayAnswer = { status: 502, body: { error: 'temporarily_unavailable' } };
const ok = (n: number): Exchanged => ({ answer: { status: 200, body: { access_token: `a${n}`, refresh_token: `r${n}` } }, keep: true });

describe('refresh answers', () => {
  it('concurrent callers on separate instances (one store) make one call; later ones within the grace get it too', async () => {
    const store = memoryStore();
    const instances = [refreshAnswers(store, { graceSeconds: 30, leaseSeconds: 5, unavailable }), refreshAnswers(store, { graceSeconds: 30, leaseSeconds: 5, unavailable })];
    let calls = 0;
    const exchange = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return ok(calls);
    };
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => instances[i % 2]!.once('refresh-1', exchange)));
    expect(calls).toBe(1);
    expect(answers.every((answer) => answer.body.access_token === 'a1')).toBe(true);
    expect(await instances[1]!.once('refresh-1', exchange)).toEqual(ok(1).answer);
    expect(calls).toBe(1);
    // Another token is another record.
    expect(await instances[0]!.once('refresh-2', exchange)).toEqual(ok(2).answer);
  });

  it('a caller that disappeared mid-call (its lease runs out) is taken over, once', async () => {
    const store = memoryStore();
    const dead = refreshAnswers(store, { graceSeconds: 30, leaseSeconds: 1, unavailable });
    // This caller's instance dies: its exchange never returns.
    void dead.once('refresh-3', () => new Promise<Exchanged>(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const alive = refreshAnswers(store, { graceSeconds: 30, leaseSeconds: 1, unavailable });
    let calls = 0;
    const started = Date.now();
    const answer = await alive.once('refresh-3', async () => ok(++calls));
    expect(answer).toEqual(ok(1).answer);
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('a failure without the provider’s word is given to those who waited for it, and not kept', async () => {
    const store = memoryStore();
    const answers = refreshAnswers(store, { graceSeconds: 30, leaseSeconds: 5, unavailable });
    const other = refreshAnswers(store, { graceSeconds: 30, leaseSeconds: 5, unavailable });
    let calls = 0;
    const failing = async (): Promise<Exchanged> => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { answer: { status: 504, body: { error: 'temporarily_unavailable' } }, keep: false };
    };
    // Which of the two takes the lease is a race (each first derives the record's key with WebCrypto, answered from
    // a thread pool): the one that called gets the provider's failure, the one that waited the relay's own.
    const both = await Promise.all([answers.once('refresh-4', failing), other.once('refresh-4', failing)]);
    expect(both.map((answer) => answer.status).sort()).toEqual([502, 504]);
    expect(both.find((answer) => answer.status === 502)).toEqual(unavailable);
    expect(calls).toBe(1);
    expect(await other.once('refresh-4', async () => ok(9))).toEqual(ok(9).answer);
  });

  it('grace 0: nothing is kept or shared', async () => {
    const answers = refreshAnswers(memoryStore(), { graceSeconds: 0, leaseSeconds: 5, unavailable });
    let calls = 0;
    await answers.once('refresh-5', async () => ok(++calls));
    await answers.once('refresh-5', async () => ok(++calls));
    expect(calls).toBe(2);
  });

  it('a kept answer given again later says what remains of its lifetime: expires_in counts from the provider’s answer', async () => {
    const store = memoryStore();
    // The store's records say when they were written: this one, 95.4 s before it is read back.
    const earlier: RelayStore = { ...store, get: async (key) => {
      const found = await store.get(key);
      return found && { ...found, at: found.at - 95_400 };
    } };
    const answers = refreshAnswers(earlier, { graceSeconds: 300, leaseSeconds: 5, unavailable });
    const answer = { status: 200, body: { access_token: 'a', refresh_token: 'r2', expires_in: 3600 } };
    expect(await answers.once('refresh-6', async () => ({ answer, keep: true }))).toEqual(answer);
    const again = await answers.once('refresh-6', async () => ok(0));
    expect(again).toEqual({ status: 200, body: { access_token: 'a', refresh_token: 'r2', expires_in: 3505 } });
    // A refusal has no lifetime to age.
    await answers.once('refresh-7', async () => ({ answer: { status: 400, body: { error: 'invalid_grant' } }, keep: true }));
    expect(await answers.once('refresh-7', async () => ok(0))).toEqual({ status: 400, body: { error: 'invalid_grant' } });
  });
});

describe('refresh answers in a bounded memory store', () => {
  it('a flood of made-up refresh tokens (each answered invalid_grant) never fills the security records: revocations and codes still fit', { timeout: 60_000 }, async () => {
    const store = memoryStore({ maxBytes: 256 * 1024 });
    const answers = refreshAnswers(store, { graceSeconds: 30, leaseSeconds: 5, unavailable });
    const refused: Exchanged = { answer: { status: 400, body: { error: 'invalid_grant' } }, keep: true };
    for (let i = 0; i < 5_000; i++) expect((await answers.once(`made-up-${i}`, async () => refused)).status).toBe(400);
    const usage = store.usage();
    expect(usage.records.entries).toBe(0);
    expect(usage.cache.bytes).toBeLessThanOrEqual(0.2 * 256 * 1024);
    expect(await store.claim('revoked:session-1', 3_600)).toBe(true);
    // A rep's refresh right after the flood is still answered once, to concurrent callers alike.
    let calls = 0;
    const exchange = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return ok(calls);
    };
    const both = await Promise.all([answers.once('real', exchange), answers.once('real', exchange)]);
    expect(calls).toBe(1);
    expect(both[0]).toEqual(both[1]);
  });
});
