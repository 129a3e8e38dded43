/**
 * How often the bridge checks an API key against Agile CRM, and for whom. Guessing keys must stay slow, the relay
 * must never become a way to spray Agile CRM, and nobody may lock out anybody else — so every limit is counted
 * per client (its address: see client-address.ts), never per account alone, and slows down rather than locks.
 *
 * - Per account and client: the first wrong keys cost nothing; from the `FREE_FAILURES`-th on, the next try waits
 *   2^(n − FREE_FAILURES) seconds (1 s, 2 s, 4 s… up to `MAX_DELAY_SECONDS`). One check at a time per pair, so
 *   parallel tries cannot slip past. An attacker's wrong keys slow the attacker only: the rep's own pair is clean.
 * - Per client: `CLIENT_CHECKS_PER_MINUTE` checks, whatever the accounts; a client that has had
 *   `FLAG_AFTER_REJECTIONS` wrong keys in the last hour is flagged and gets `FLAGGED_CHECKS_PER_MINUTE`.
 * - Relay-wide: `CHECKS_PER_MINUTE`, shared fairly: flagged clients may use only the first `FLAGGED_CEILING` of it,
 *   and a client that is not flagged always gets its first check of the minute, even when the budget is spent.
 *
 * Refusals write nothing (the relay-wide budget is read before any per-client key is written), and keys are made
 * of a validated client address and a hash of the account, never of raw request data. A refusal is answered after
 * a pause (`pauseMs`), so a client flooding the form from a fixed number of connections sends that many attempts a
 * second rather than as many as the relay can refuse; at most `MAX_PAUSED` answers wait at once, so open
 * connections cannot pile up.
 */
import { s256 } from '../shared/random';
import { LIMIT_PREFIX, type RelayStore } from './store';

export const CHECKS_PER_MINUTE = 300;
export const FLAGGED_CEILING = 150;
export const CLIENT_CHECKS_PER_MINUTE = 10;
export const FLAGGED_CHECKS_PER_MINUTE = 2;
export const FLAG_AFTER_REJECTIONS = 10;
export const FREE_FAILURES = 5;
export const MAX_DELAY_SECONDS = 15 * 60;
/** Refusals held back at once (per relay process or Worker isolate); beyond that they are answered at once. */
export const MAX_PAUSED = 256;
/** How long an account-and-client pair's failures are remembered after the last one. */
const FAILURE_MEMORY_SECONDS = 24 * 60 * 60;
const HOUR = 60 * 60;

export type CheckOutcome = 'accepted' | 'rejected' | 'failed';

/**
 * A refusal's `problem` says which limit applies and when to try again. `settle` records what Agile CRM said: only
 * `rejected` counts as a wrong key.
 */
export type Refusal = { ok: false; problem: string };
export type Admission = { ok: true; settle(outcome: CheckOutcome): Promise<void> } | Refusal;

/** Seconds the pair must wait after `failures` wrong keys. */
export function delayAfter(failures: number): number {
  return failures < FREE_FAILURES ? 0 : Math.min(2 ** (failures - FREE_FAILURES), MAX_DELAY_SECONDS);
}

/** The pair's record: `<failures> <not before, epoch ms> <1 while a check runs>`. */
interface PairRecord {
  failures: number;
  notBefore: number;
  checking: boolean;
}
function readPair(value: string | undefined): PairRecord {
  const [failures, notBefore, checking] = (value ?? '').split(' ').map(Number);
  return { failures: failures || 0, notBefore: notBefore || 0, checking: checking === 1 };
}
const writePair = (pair: PairRecord) => `${pair.failures} ${pair.notBefore} ${pair.checking ? 1 : 0}`;
const count = (value: { value: string } | null) => Number(value?.value ?? 0) || 0;

function inWords(seconds: number): string {
  if (seconds <= 1) return 'in a second';
  if (seconds < 90) return `in ${seconds} seconds`;
  return `in ${Math.ceil(seconds / 60)} minutes`;
}

/**
 * @example
 * const limits = signInLimits(store, { checkTimeoutMs: 8_000 });
 * const admission = await limits.admit({ domain: 'acme', email: 'rep@acme.com' }, '203.0.113.7');
 * if (admission.ok) await admission.settle(check.ok ? 'accepted' : check.rejected ? 'rejected' : 'failed');
 */
export function signInLimits(store: RelayStore, options: { checkTimeoutMs: number; pauseMs?: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  let paused = 0;
  const refuse = async (refusal: Refusal): Promise<Refusal> => {
    if (!options.pauseMs || paused >= MAX_PAUSED) return refusal;
    paused++;
    try {
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    } finally {
      paused--;
    }
    return refusal;
  };
  /** This minute's keys and answers for one client. */
  const window = (client: string | null) => {
    const time = now();
    const minute = Math.floor(time / 60_000);
    const nextMinute = Math.ceil(((minute + 1) * 60_000 - time) / 1000);
    const who = client ?? 'unknown';
    return {
      time,
      who,
      relayKey: `signin-checks:${minute}`,
      clientKey: `${LIMIT_PREFIX}signin-client:${who}:${minute}`,
      rejectionsKey: `${LIMIT_PREFIX}signin-rejected:${who}`,
      busy: (): Refusal => ({ ok: false, problem: `The sign-in service is busy. Try again ${inWords(nextMinute)}.` }),
      tooMany: (): Refusal => ({ ok: false, problem: `Too many sign-in attempts from your network. Try again ${inWords(nextMinute)}.` }),
    };
  };
  /** Reads only: whether this client is flagged, and the refusal its counts already call for. */
  const screen = async (client: string | null) => {
    const at = window(client);
    const [relay, mine, rejections] = await Promise.all([store.get(at.relayKey), store.get(at.clientKey), store.get(at.rejectionsKey)]);
    const flagged = count(rejections) >= FLAG_AFTER_REJECTIONS;
    const share = flagged ? FLAGGED_CHECKS_PER_MINUTE : CLIENT_CHECKS_PER_MINUTE;
    const refusal = count(relay) >= CHECKS_PER_MINUTE && (flagged || count(mine) > 0) ? at.busy() : count(mine) >= share ? at.tooMany() : null;
    return { at, flagged, share, refusal };
  };

  return {
    /**
     * The cheap first look, before the request is even opened: a client already over its share (or a relay whose
     * budget is spent) is refused here, with nothing written and nothing decrypted.
     */
    async screen(client: string | null): Promise<Refusal | null> {
      const { refusal } = await screen(client);
      return refusal && refuse(refusal);
    },

    async admit(account: { domain: string; email: string }, client: string | null): Promise<Admission> {
      const { at, flagged, share, refusal } = await screen(client);
      if (refusal) return refuse(refusal);
      const pairKey = `${LIMIT_PREFIX}signin-pair:${await s256(`${account.domain}\n${account.email}\n${at.who}`)}`;
      const pairValue = await store.get(pairKey);
      const pair = readPair(pairValue?.value);
      if (at.time < pair.notBefore) {
        const wait = Math.ceil((pair.notBefore - at.time) / 1000);
        return refuse(pair.checking
          ? { ok: false, problem: 'A sign-in to this account is being checked already. Try again in a moment.' }
          : { ok: false, problem: `Too many wrong keys for this account from your network. Try again ${inWords(wait)}.` });
      }

      // The counts read above may be stale by now (parallel attempts): the increments decide.
      const mineNow = await store.increment(at.clientKey, 120);
      if (mineNow > share) return refuse(at.tooMany());
      const relayNow = await store.increment(at.relayKey, 120);
      const guaranteed = !flagged && mineNow === 1;
      if (!guaranteed && relayNow > (flagged ? FLAGGED_CEILING : CHECKS_PER_MINUTE)) return refuse(at.busy());

      // One check at a time per pair: the record says "checking" until the check's own timeout has surely passed.
      const reserved = writePair({ ...pair, notBefore: at.time + options.checkTimeoutMs + 2_000, checking: true });
      if (!(await store.compareAndSet(pairKey, pairValue?.value ?? null, reserved, FAILURE_MEMORY_SECONDS))) {
        return refuse({ ok: false, problem: 'A sign-in to this account is being checked already. Try again in a moment.' });
      }
      return {
        ok: true,
        async settle(outcome) {
          const failures = outcome === 'accepted' ? 0 : pair.failures + (outcome === 'rejected' ? 1 : 0);
          const settled = writePair({ failures, notBefore: outcome === 'rejected' ? now() + delayAfter(failures) * 1000 : 0, checking: false });
          // Only a reservation that outlived its check (a stalled relay) can have been replaced; the newer one wins.
          await store.compareAndSet(pairKey, reserved, settled, failures === 0 ? 60 : FAILURE_MEMORY_SECONDS);
          if (outcome === 'rejected') await store.increment(at.rejectionsKey, HOUR);
        },
      };
    },
  };
}
