/**
 * The benchmark's attacker, a process of its own (bench/load-held.ts starts it): wrong-key sign-ins on the bridge's
 * form, as fast as the relay answers, each connection from another loopback address, for random accounts, until
 * SIGTERM. Then it prints one JSON line: how many it sent, how fast, and what the relay answered.
 *
 *   ATTACK_URL=http://127.0.0.2:8787  ATTACK_ADDRESSES=500  ATTACK_CONCURRENCY=64
 *   ATTACK_CF=1   also names each address in CF-Connecting-IP, as Cloudflare's edge does for a Worker
 */
import { Agent, request } from 'node:http';

const url = process.env.ATTACK_URL ?? '';
const addresses = Number(process.env.ATTACK_ADDRESSES ?? 500);
const concurrency = Number(process.env.ATTACK_CONCURRENCY ?? 64);
const cloudflare = process.env.ATTACK_CF === '1';

/** Loopback addresses 127.9.x.y: each is another client to the relay. */
const address = (i: number) => `127.9.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
const agents = Array.from({ length: addresses }, (_, i) => new Agent({ keepAlive: true, maxSockets: 1, localAddress: address(i) }));

function post(i: number, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${url}${path}`, {
      method: 'POST', agent: agents[i % addresses],
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)),
        ...(cloudflare ? { 'CF-Connecting-IP': address(i % addresses) } : {}),
      },
    }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => resolve(text));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function signInRequestId(): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('v'.repeat(43)));
  const challenge = Buffer.from(digest).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code', client_id: 'agile-crm-extension', redirect_uri: 'https://nkhlbbfclomgnjahebapbbadlbmhibmk.chromiumapp.org/',
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  const page = await (await fetch(`${url}/authorize?${query}`)).text();
  const id = /name="request_id" value="([^"]+)"/.exec(page)?.[1];
  if (!id) throw new Error(`no sign-in form at ${url}`);
  return id;
}

const outcomes: Record<string, number> = { checked: 0, slowed: 0, busy: 0, other: 0, failed: 0 };
let sent = 0;
let stopping = false;
const requestId = await signInRequestId();
const started = performance.now();
process.once('SIGTERM', () => (stopping = true));
console.log('attacking');
await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
  for (let i = worker; !stopping; i += concurrency) {
    sent++;
    const body = new URLSearchParams({ request_id: requestId, domain: 'demo', email: `victim${i % 1000}@example.com`, api_key: `guess-${i}` }).toString();
    const page = await post(i, '/authorize', body).catch(() => null);
    const kind = page === null ? 'failed' : /rejected this email/.test(page) ? 'checked' : /busy/.test(page) ? 'busy' : /Too many|being checked/.test(page) ? 'slowed' : 'other';
    outcomes[kind]!++;
  }
}));
console.log(JSON.stringify({ sent, perSecond: sent / ((performance.now() - started) / 1000), outcomes }));
for (const agent of agents) agent.destroy();
