/**
 * Exactly-once refresh in OAuth mode. A provider that rotates refresh tokens and treats a second use as theft
 * (RFC 9700 §4.14.2) ends the whole grant when a client presents the same refresh token twice — which an MV3 worker
 * does when it is killed after the provider rotated and before the answer was stored. So the relay keeps the
 * provider's answer to each refresh for `RELAY_REFRESH_REUSE_GRACE` seconds and gives it again to the same token;
 * concurrent duplicates join the one call in flight. The provider never sees a replay from this product.
 *
 * What the store holds is useless alone: the record's name and the key that seals the answer (AES-256-GCM) are
 * derived from the refresh token under two different labels. Only a caller holding the same refresh token finds
 * and opens the answer; the relay needs no key of its own.
 */
import { base64url, fromBase64url, randomToken } from '../shared/random';
import { CACHE_PREFIX, type RelayStore } from './store';

/** The relay's answer to a token request: an HTTP status and a JSON body. */
export interface RelayAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * `keep`: the answer is the provider's last word on this refresh token (a rotation, or a refusal), to be given
 * again within the grace period. A transient failure (no answer, a 5xx) is not kept: the next try calls again; nor
 * are new tokens from a provider that did not rotate, which takes the same refresh token again without complaint —
 * kept, they would hand a later refresh the same access token, perhaps the very one it is replacing.
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

/**
 * NIST SP 800-56C's one-step key derivation with SHA-256: H(counter ‖ secret ‖ label). A refresh token is already
 * a high-entropy secret, so one hash per label gives independent values — the record's name, and the answer's
 * AES-256-GCM key — at a fraction of HKDF's cost in the relay's hottest path.
 */
async function derive(refreshToken: string, label: string): Promise<Uint8Array> {
  const secret = encoder.encode(refreshToken);
  const info = encoder.encode(`agile-relay refresh-answer ${label}`);
  const input = new Uint8Array(4 + secret.length + info.length);
  input.set([0, 0, 0, 1]);
  input.set(secret, 4);
  input.set(info, 4 + secret.length);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', input));
}

const answerKey = async (refreshToken: string): Promise<CryptoKey> =>
  crypto.subtle.importKey('raw', (await derive(refreshToken, 'key')) as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);

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

/**
 * A kept answer given again `elapsedMs` after the provider's: `expires_in` counts from the answer (RFC 6749 §5.1),
 * so the copy says what remains of it.
 */
function aged(answer: RelayAnswer, elapsedMs: number): RelayAnswer {
  const expiresIn = answer.body.expires_in;
  if (typeof expiresIn !== 'number' || elapsedMs < 1000) return answer;
  return { ...answer, body: { ...answer.body, expires_in: Math.max(0, expiresIn - Math.floor(elapsedMs / 1000)) } };
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

  async function settle(record: string, key: Promise<CryptoKey>, exchange: () => Promise<Exchanged>): Promise<RelayAnswer> {
    const deadline = Date.now() + (options.leaseSeconds + 2) * 1000;
    const lease = `${PENDING}${randomToken(9)}`;
    const lead = async () => {
      let done: Exchanged;
      try {
        done = await exchange();
      } catch (error) {
        await store.compareAndSet(record, lease, RELEASED, options.leaseSeconds);
        throw error;
      }
      const { answer, keep } = done;
      // If the lease ran out and another caller took over, this write fails and theirs stands.
      await store.compareAndSet(record, lease, keep ? `${ANSWER}${await seal(await key, answer)}` : RELEASED, keep ? options.graceSeconds : options.leaseSeconds);
      return answer;
    };
    // The usual case, a refresh token seen for the first time, costs one store call before the provider's.
    if (await store.compareAndSet(record, null, lease, options.leaseSeconds)) return lead();
    for (let delay = 25, waited = false; ; delay = Math.min(delay * 2, 400), waited = true) {
      const current = await store.get(record);
      const free = current === null || (current.value === RELEASED && !waited);
      if (free && (await store.compareAndSet(record, current?.value ?? null, lease, options.leaseSeconds))) return lead();
      if (current?.value.startsWith(ANSWER)) {
        const kept = await open(await key, current.value.slice(ANSWER.length));
        return kept ? aged(kept, Date.now() - current.at) : options.unavailable;
      }
      if (current?.value === RELEASED && waited) return options.unavailable;
      if (Date.now() > deadline) return options.unavailable;
      await sleep(delay);
    }
  }

  return {
    async once(refreshToken, exchange) {
      if (options.graceSeconds <= 0) return (await exchange()).answer;
      const record = `${CACHE_PREFIX}refresh-answer:${base64url(await derive(refreshToken, 'record'))}`;
      const joined = inFlight.get(record);
      if (joined) return joined;
      // The key is needed only once there is an answer to seal or open; deriving it overlaps the calls before.
      const key = answerKey(refreshToken);
      key.catch(() => undefined);
      const run = settle(record, key, exchange).finally(() => inFlight.delete(record));
      inFlight.set(record, run);
      return run;
    },
  };
}
