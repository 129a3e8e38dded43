/** What ships: the built extension holds no secret of any kind. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { DIST } from '../../scripts/extension';
import { DEV_CLIENT } from '../../src/sandbox/node';
import { SANDBOX_USERS } from '../../src/sandbox/seed';
import manifest from '../../manifest.json' with { type: 'json' };

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return (await Promise.all(entries.map((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)])))).flat();
}

describe('dist/', () => {
  it('ships the manifest’s least permissions and its CSP: nothing added or dropped by the build, no exposed files', async () => {
    const built = JSON.parse(await readFile(path.join(DIST, 'manifest.json'), 'utf8'));
    expect(built.permissions.sort()).toEqual(['activeTab', 'contextMenus', 'identity', 'scripting', 'sidePanel', 'storage']);
    expect(built.host_permissions).toEqual(['https://*.agilecrm.com/*', 'http://127.0.0.1/*', 'http://localhost/*']);
    expect(built.optional_host_permissions).toEqual(['https://mail.google.com/*', 'https://outlook.office.com/*', 'https://outlook.office365.com/*', 'https://outlook.live.com/*']);
    expect(built.content_security_policy).toEqual(manifest.content_security_policy);
    for (const key of ['web_accessible_resources', 'content_scripts', 'externally_connectable', 'optional_permissions']) {
      expect(built).not.toHaveProperty(key);
    }
  });

  it('contains no client secret and no API key', async () => {
    const all = await files(DIST);
    expect(all.some((file) => file.endsWith('manifest.json'))).toBe(true);
    const secrets = [DEV_CLIENT.clientSecret, ...SANDBOX_USERS.map((user) => user.apiKey)];
    for (const file of all) {
      const content = await readFile(file, 'latin1');
      for (const secret of secrets) expect(content, `${path.relative(DIST, file)} contains ${secret}`).not.toContain(secret);
      expect(content).not.toMatch(/client_secret/);
    }
  });
});

describe('a store build (npm run build:store)', () => {
  it('drops loopback access and bakes in the relay it is built for', async () => {
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'agile-store-build-'));
    process.env.VITE_RELAY_URL = 'https://relay.example.com';
    try {
      await build({ mode: 'store', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
      const built = JSON.parse(await readFile(path.join(outDir, 'manifest.json'), 'utf8'));
      expect(built.host_permissions).toEqual(['https://*.agilecrm.com/*']);
      const code = (await Promise.all((await files(outDir)).filter((file) => file.endsWith('.js')).map((file) => readFile(file, 'utf8')))).join('\n');
      expect(code).toContain('https://relay.example.com');
      expect(code).not.toContain('http://127.0.0.1:8787');
    } finally {
      delete process.env.VITE_RELAY_URL;
      await rm(outDir, { recursive: true, force: true });
    }
  });
});
