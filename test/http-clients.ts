/**
 * Clients and a reverse proxy for the relay's attack and multi-instance tests, all real HTTP on loopback. Linux
 * routes all of 127.0.0.0/8 to loopback, so a request can come from any 127.x.y.z address: each test client is
 * its own network address, as distinct reps and attackers would be.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { BRIDGE_CLIENT_ID } from '../src/relay/bridge';
import { listen, type Listening } from '../src/shared/node-listen';
import { chromiumRedirectUri, extensionOrigin, PINNED_EXTENSION_ID } from '../src/shared/extension-id';
import { s256 } from '../src/shared/random';

export const ORIGIN = extensionOrigin(PINNED_EXTENSION_ID);
export const REDIRECT = chromiumRedirectUri(PINNED_EXTENSION_ID);
export const VERIFIER = 'q'.repeat(64);

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request from the local address `from` (default: the kernel's choice). */
export function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: init.method ?? 'GET', headers: init.headers, localAddress: init.from, agent: false }, (incoming) => {
      let body = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (body += chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(init.body);
  });
}

/** A sealed sign-in request id from the bridge's page (stateless: one serves many submissions for 15 minutes). */
export async function signInRequestId(relayUrl: string): Promise<string> {
  const query = new URLSearchParams({
    response_type: 'code', client_id: BRIDGE_CLIENT_ID, redirect_uri: REDIRECT, state: 'st', code_challenge: await s256(VERIFIER), code_challenge_method: 'S256',
  });
  const page = await send(`${relayUrl}/authorize?${query}`);
  const id = /name="request_id" value="([^"]+)"/.exec(page.body)?.[1];
  if (!id) throw new Error(`no sign-in form at ${relayUrl}: ${page.status}`);
  return id;
}

export interface Credentials {
  domain: string;
  email: string;
  apiKey: string;
}

/**
 * Submits the bridge's sign-in form: 302 with a code when the key is right, else 200 with the page's words
 * (`problem`).
 */
export async function submitSignIn(relayUrl: string, credentials: Credentials, options: { from?: string; headers?: Record<string, string>; requestId?: string } = {}) {
  const answer = await send(`${relayUrl}/authorize`, {
    method: 'POST',
    from: options.from,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...options.headers },
    body: new URLSearchParams({
      request_id: options.requestId ?? (await signInRequestId(relayUrl)), domain: credentials.domain, email: credentials.email, api_key: credentials.apiKey,
    }).toString(),
  });
  const code = answer.status === 302 ? new URL(String(answer.headers.location)).searchParams.get('code') : null;
  const problem = /role="alert" id="error">([^<]*)</.exec(answer.body)?.[1] ?? null;
  return { ...answer, code, problem };
}

/** Token endpoint form post, as the extension sends it. */
export async function tokenRequest(relayUrl: string, params: Record<string, string>): Promise<{ status: number; json: Record<string, string> }> {
  const answer = await send(`${relayUrl}/token`, {
    method: 'POST',
    headers: { Origin: ORIGIN, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: BRIDGE_CLIENT_ID, ...params }).toString(),
  });
  return { status: answer.status, json: JSON.parse(answer.body) as Record<string, string> };
}

export interface ReverseProxy extends Listening {
  /** Where requests go, in turn (round robin); may be changed while running. */
  targets: string[];
}

/**
 * A reverse proxy as operators put in front of the relay: it forwards each request to the next target and appends
 * the connecting client's address to X-Forwarded-For (or a `for=` element to Forwarded), keeping what the client
 * sent before it, as nginx's `$proxy_add_x_forwarded_for` does.
 */
export async function startReverseProxy(targets: string[], header: 'x-forwarded-for' | 'forwarded' = 'x-forwarded-for'): Promise<ReverseProxy> {
  let turn = 0;
  const state = { targets };
  const forward = async (incoming: Request, env?: unknown): Promise<Response> => {
    const peer = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? '';
    const target = new URL(state.targets[turn++ % state.targets.length]!);
    const url = new URL(incoming.url);
    const headers = new Headers(incoming.headers);
    const node = peer.includes(':') ? `"[${peer}]"` : peer;
    const added = header === 'forwarded' ? `for=${node};proto=http` : peer;
    const previous = headers.get(header);
    headers.set(header, previous ? `${previous}, ${added}` : added);
    headers.delete('host');
    try {
      const answer = await fetch(new URL(url.pathname + url.search, target), {
        method: incoming.method, headers, body: incoming.method === 'GET' ? undefined : await incoming.arrayBuffer(), redirect: 'manual',
      });
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    } catch {
      return new Response('The relay behind this proxy is not answering.', { status: 502 });
    }
  };
  const server = await listen(forward, { host: '127.0.0.1', port: 0 });
  const proxy: ReverseProxy = {
    ...server,
    get targets() {
      return state.targets;
    },
    set targets(next) {
      state.targets = next;
    },
  };
  return proxy;
}
