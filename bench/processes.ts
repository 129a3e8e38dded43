/**
 * The relay and the sandbox as separate processes for throughput numbers: in one process they would share one
 * event loop with the load generator, and the relay's cost would be counted twice.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { bundleNodeServer } from '../scripts/build-relay';
import { DEV_CLIENT } from '../src/sandbox/node';
import { SANDBOX_DOMAIN, SANDBOX_USERS } from '../src/sandbox/seed';
import { chromiumRedirectUri, extensionOrigin, PINNED_EXTENSION_ID } from '../src/shared/extension-id';
import { s256 } from '../src/shared/random';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface ServerProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * Bundles a server entry (as `npm run build:relay` does for deployment) so it runs on plain Node, without the
 * TypeScript loader's per-module cost, and returns the bundle's path.
 */
export async function bundle(entry: string, name: string): Promise<string> {
  return bundleNodeServer(entry, path.join('dist-bench', 'servers', `${name}.mjs`));
}

/**
 * Starts `node <file>` and resolves with the first http://… URL it prints. `cpu` pins it to one core (Linux
 * taskset), so processes measured side by side do not take each other's CPU.
 */
export function startProcess(file: string, env: Record<string, string | undefined>, cpu?: number): Promise<ServerProcess> {
  const pinned = cpu !== undefined && canPin();
  const child: ChildProcess = spawn(pinned ? 'taskset' : process.execPath, pinned ? ['-c', String(cpu), process.execPath, file] : [file], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      const url = /(http:\/\/127\.0\.0\.\d+:\d+)/.exec((seen += chunk.toString()))?.[1];
      if (!url) return;
      child.stdout?.off('data', onData);
      // Keep draining stdout (the relay's access log) so the child never blocks on a full pipe.
      child.stdout?.resume();
      resolve({
        url,
        stop: () => new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before listening: ${seen}`)));
  });
}

/** A fresh refresh token from the sandbox's real OAuth flow (consent page, code, token endpoint). */
let pinnable: boolean | null = null;
/** taskset exists and there are at least two cores to give out. */
export function canPin(): boolean {
  pinnable ??= os.cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return pinnable;
}

/** Pins this process (the load generator) to one core. */
export function pinSelf(cpu: number): boolean {
  return canPin() && spawnSync('taskset', ['-cp', String(cpu), String(process.pid)]).status === 0;
}

/** Pins the workerd processes miniflare started from this process (all their threads) to one core. */
export function pinWorkerd(cpu: number): boolean {
  if (!canPin()) return false;
  const children = spawnSync('ps', ['-eo', 'pid=,ppid=,comm=']).stdout.toString().split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, parent, name]) => parent === String(process.pid) && name === 'workerd');
  return children.length > 0 && children.every(([pid]) => spawnSync('taskset', ['-a', '-cp', String(cpu), pid!]).status === 0);
}

/** An access token from the bridge's real sign-in (form with the demo user's API key, code, token endpoint). */
export async function bridgeAccessToken(relayUrl: string): Promise<string> {
  const verifier = crypto.randomUUID() + crypto.randomUUID();
  const redirectUri = chromiumRedirectUri(PINNED_EXTENSION_ID);
  const query = new URLSearchParams({ response_type: 'code', client_id: 'agile-crm-extension', redirect_uri: redirectUri, code_challenge: await s256(verifier), code_challenge_method: 'S256' });
  const page = await (await fetch(`${relayUrl}/authorize?${query}`)).text();
  const requestId = /name="request_id" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const user = SANDBOX_USERS[0]!;
  const signedIn = await fetch(`${relayUrl}/authorize`, {
    method: 'POST', redirect: 'manual',
    body: new URLSearchParams({ request_id: requestId, domain: SANDBOX_DOMAIN, email: user.email, api_key: user.apiKey }),
  });
  const code = new URL(signedIn.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const tokens = await (await fetch(`${relayUrl}/token`, {
    method: 'POST', headers: { Origin: extensionOrigin(PINNED_EXTENSION_ID) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: 'agile-crm-extension' }),
  })).json() as { access_token: string };
  return tokens.access_token;
}

export async function mintRefreshToken(sandboxUrl: string): Promise<string> {
  const verifier = crypto.randomUUID() + crypto.randomUUID();
  const redirectUri = chromiumRedirectUri(PINNED_EXTENSION_ID);
  const authorize = new URL(`${sandboxUrl}/oauth/authorize`);
  for (const [key, value] of Object.entries({ response_type: 'code', client_id: DEV_CLIENT.clientId, redirect_uri: redirectUri, state: 's', code_challenge: await s256(verifier), code_challenge_method: 'S256' })) {
    authorize.searchParams.set(key, value);
  }
  const page = await (await fetch(authorize)).text();
  const requestId = /name="request_id" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const consent = await fetch(`${sandboxUrl}/oauth/authorize`, {
    method: 'POST', redirect: 'manual',
    body: new URLSearchParams({ request_id: requestId, email: 'demo@example.com', password: 'demo', decision: 'allow' }),
  });
  const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const tokens = await (await fetch(`${sandboxUrl}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${btoa(`${DEV_CLIENT.clientId}:${DEV_CLIENT.clientSecret}`)}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
  })).json() as { refresh_token: string };
  return tokens.refresh_token;
}
