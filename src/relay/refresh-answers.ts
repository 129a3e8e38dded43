/**
 * Exactly-once refresh in OAuth mode. A provider that rotates refresh tokens and treats a second use as theft
 * (RFC 9700 §4.14.2) ends the whole grant when a client presents the same refresh token twice — which an MV3 worker
 * does when it is killed after the provider rotated and before the answer was stored. So the relay keeps the
 * provider's answer to each refresh for `RELAY_REFRESH_REUSE_GRACE` seconds and gives it again to the same token;
 * concurrent duplicates join the one call in flight. The provider never sees a replay from this product.
 *
 * What the store holds is useless alone: the record's name is derived from the refresh token with HKDF under one
 * label, the answer is sealed (AES-256-GCM) under a key derived from it under another. Only a caller holding the
 * same refresh token finds and opens the answer; the relay needs no key of its own.
 */
import { base64url, fromBase64url, randomToken } from '../shared/random';
import type { RelayStore } from './store';

/** The relay's answer to a token request: an HTTP status and a JSON body. */
export interface RelayAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * `keep`: the answer is the provider's last word on this refresh token (new tokens, or a refusal), to be given
 * again within the grace period. A transient failure (no answer, a 5xx) is not kept: the next try calls again.
 */
export interface Exchanged {
  answer: RelayAnswer;
  keep: boolean;
}

export interface RefreshAnswersOptions {
  /** How long an answer is kept, in seconds; 0 turns the cache off (strict rotation). */
  graceSeconds: number;
  /** How long one caller may hold a refresh token's call before another may take over, in seconds. */
  leaseSeconds: number;
  /** What duplicates get when the call they waited for failed or never finished. */
  unavailable: RelayAnswer;
}

export interface RefreshAnswers {
  /**
   * Runs `exchange` for this refresh token at most once while it is in flight or its answer is kept, across every
   * relay instance sharing the store; everyone else gets the same answer.
   */
  once(refreshToken: string, exchange: () => Promise<Exchanged>): Promise<RelayAnswer>;
}

const PENDING = 'pending ';
const ANSWER = 'answer ';
/** A call that failed without a word from the provider: the next request may try again. */
const RELEASED = 'released';
const encoder = new TextEncoder();

/** HKDF-SHA-256 over the refresh token (RFC 5869); the label keeps the record name and the key independent. */
async function derive(refreshToken: string, label: string): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(refreshToken), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(`agile-relay refresh-answer ${label}`) }, material, 256);
  return new Uint8Array(bits);
}

async function answerKey(refreshToken: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', (await derive(refreshToken, 'key')) as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

async function seal(key: CryptoKey, answer: RelayAnswer): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cipher = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoder.encode(JSON.stringify(answer))));
  const out = new Uint8Array(iv.length + cipher.length);
  out.set(iv);
  out.set(cipher, iv.length);
  return base64url(out);
}

async function open(key: CryptoKey, sealed: string): Promise<RelayAnswer | null> {
  try {
    const bytes = fromBase64url(sealed);
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, 12) }, key, bytes.slice(12));
    const answer = JSON.parse(new TextDecoder().decode(plain)) as unknown;
    if (answer && typeof answer === 'object' && 'status' in answer && 'body' in answer && typeof answer.status === 'number' && answer.body && typeof answer.body === 'object') {
      return { status: answer.status, body: answer.body as Record<string, unknown> };
    }
  } catch {
    // Not sealed under this token's key.
  }
  return null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @example
 * const answers = refreshAnswers(store, { graceSeconds: 30, leaseSeconds: 20, unavailable });
 * const answer = await answers.once(refreshToken, () => callProvider(refreshToken));
 */
export function refreshAnswers(store: RelayStore, options: RefreshAnswersOptions): RefreshAnswers {
  /** Same-instance duplicates join the promise without touching the store. */
  const inFlight = new Map<string, Promise<RelayAnswer>>();

  async function settle(record: string, key: CryptoKey, exchange: () => Promise<Exchanged>): Promise<RelayAnswer> {
    const deadline = Date.now() + (options.leaseSeconds + 2) * 1000;
    let waited = false;
    for (let delay = 25; ; delay = Math.min(delay * 2, 400)) {
      const current = await store.get(record);
      const lease = `${PENDING}${randomToken(9)}`;
      const free = current === null || (current.value === RELEASED && !waited);
      if (free && (await store.compareAndSet(record, current?.value ?? null, lease, options.leaseSeconds))) {
        const { answer, keep } = await exchange();
        // If the lease ran out and another caller took over, this write fails and theirs stands.
        await store.compareAndSet(record, lease, keep ? `${ANSWER}${await seal(key, answer)}` : RELEASED, keep ? options.graceSeconds : options.leaseSeconds);
        return answer;
      }
      if (current?.value.startsWith(ANSWER)) return (await open(key, current.value.slice(ANSWER.length))) ?? options.unavailable;
      if (current?.value === RELEASED && waited) return options.unavailable;
      if (Date.now() > deadline) return options.unavailable;
      waited = true;
      await sleep(delay);
    }
  }

  return {
    async once(refreshToken, exchange) {
      if (options.graceSeconds <= 0) return (await exchange()).answer;
      const [name, key] = await Promise.all([derive(refreshToken, 'record'), answerKey(refreshToken)]);
      const record = `refresh-answer:${base64url(name)}`;
      const joined = inFlight.get(record);
      if (joined) return joined;
      const run = settle(record, key, exchange).finally(() => inFlight.delete(record));
      inFlight.set(record, run);
      return run;
    },
  };
}
