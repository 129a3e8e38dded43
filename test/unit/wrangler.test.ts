/**
 * The Cloudflare deployment artifact: `wrangler deploy --dry-run` with src/relay/wrangler.toml builds the Worker
 * (no secret in the file), and that exact bundle runs in workerd with its Durable Object store.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relayEnvFor } from '../../scripts/dev-stack';
import { COMPATIBILITY_DATE, startWorkerdRelay } from '../../scripts/workerd-relay';
import { startSandbox, type SandboxServer } from '../../src/sandbox/node';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let outdir: string;
let sandbox: SandboxServer;

beforeAll(async () => {
  outdir = await mkdtemp(path.join(os.tmpdir(), 'agile-relay-dry-run-'));
  sandbox = await startSandbox();
  await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), 'deploy', '--dry-run', '--outdir', outdir, '-c', 'src/relay/wrangler.toml'], {
    cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
  });
}, 60_000);
afterAll(async () => {
  await sandbox.close();
  await rm(outdir, { recursive: true, force: true });
});

describe('wrangler deploy', () => {
  it('pins the same compatibility date the local runtime uses, and keeps secrets out of the config', async () => {
    const config = await readFile(path.join(ROOT, 'src', 'relay', 'wrangler.toml'), 'utf8');
    expect(config).toContain(`compatibility_date = "${COMPATIBILITY_DATE}"`);
    expect(config).not.toMatch(/^\s*(RELAY_SEAL_KEY|OAUTH_CLIENT_SECRET)\s*=/m);
    expect(config).toMatch(/class_name = "RelayStoreObject"/);
  });

  it('builds a Worker bundle that runs in workerd with its bindings', async () => {
    const relay = await startWorkerdRelay(relayEnvFor('bridge', sandbox.url), { bundle: path.join(outdir, 'worker.js') });
    try {
      expect(await (await fetch(`${relay.url}/health`)).json()).toEqual({ ok: true, mode: 'bridge' });
      const metadata = await (await fetch(`${relay.url}/.well-known/oauth-authorization-server`)).json();
      expect(metadata.issuer).toBe(relay.url);
    } finally {
      await relay.close();
    }
  });
});
