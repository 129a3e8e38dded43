/**
 * Fault switches, so every failure the extension and relay must survive runs on loopback: latency, 429 with
 * Retry-After, 5xx with an HTML body, dropped connections. Tests and benchmarks flip them on the sandbox's state.
 */
import type { MiddlewareHandler } from 'hono';
import type { IdTokenForgery } from './id-token';

export type FaultScope = 'api' | 'token';

export type Fault =
  | { scope: FaultScope; kind: 'status'; status: number; retryAfter?: string; times: number }
  | { scope: FaultScope; kind: 'drop'; times: number };

export interface FaultSwitches {
  /** Added before every answer in that scope, in milliseconds. */
  latency: Record<FaultScope, number>;
  /** Served in order, each `times` times, before requests reach the real handlers. */
  queue: Fault[];
  /**
   * Rewrites the next successful authorization response before the browser is sent back (an attacker's forged
   * `state`, a code from another flow), then clears itself.
   */
  tamperAuthorizationResponse: ((params: URLSearchParams) => void) | null;
  /** Forges the next ID token issued (a foreign signature, audience or issuer, or an expiry in the past), then clears itself. */
  forgeIdToken: IdTokenForgery | null;
}

export function createFaults(): FaultSwitches {
  return { latency: { api: 0, token: 0 }, queue: [], tamperAuthorizationResponse: null, forgeIdToken: null };
}

const scopeOf = (path: string): FaultScope | null =>
  path.startsWith('/dev/api/') ? 'api' : path === '/oauth/token' ? 'token' : null;

/** Applies the switches; counts every request per scope (`requests.api`, `requests.token`), faulted or not. */
export function faultMiddleware(faults: FaultSwitches, hit: (name: string) => void): MiddlewareHandler {
  return async (c, next) => {
    const scope = scopeOf(new URL(c.req.url).pathname);
    if (!scope) return next();
    hit(`requests.${scope}`);
    if (faults.latency[scope] > 0) await new Promise((resolve) => setTimeout(resolve, faults.latency[scope]));
    const index = faults.queue.findIndex((fault) => fault.scope === scope && fault.times > 0);
    const fault = faults.queue[index];
    if (!fault) return next();
    fault.times--;
    if (fault.times <= 0) faults.queue.splice(index, 1);
    hit(`fault.${fault.kind}`);
    if (fault.kind === 'drop') {
      // Node listener only: end the TCP connection without an answer, as a crashed proxy would.
      const incoming = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming;
      incoming?.socket?.destroy();
      return c.body(null, 502);
    }
    const headers: Record<string, string> = fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {};
    if (fault.status >= 500) return c.html('<html><body><h1>HTTP Status 500 - Internal Server Error</h1></body></html>', fault.status as 500, headers);
    return c.text('Too Many Requests', fault.status as 429, headers);
  };
}
