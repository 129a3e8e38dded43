/** What ships to Firefox: a build Mozilla's linter passes, with Chrome's permissions and no secret of any kind. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { DIST } from '../../scripts/extension';
import { DIST_FIREFOX } from '../../scripts/firefox';
import { lintFirefox } from '../../scripts/firefox-lint';
import { FIREFOX_MIN_VERSION } from '../../scripts/firefox-manifest';
import { DEV_CLIENT } from '../../src/sandbox/node';
import { SANDBOX_USERS } from '../../src/sandbox/seed';
import { FIREFOX_ADDON_ID } from '../../src/shared/extension-id';

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return (await Promise.all(entries.map((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)])))).flat();
}

const manifestOf = async (dir: string) => JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));

describe('dist-firefox/', () => {
  it('web-ext lint: no errors, and only the two warnings we know and accept', async () => {
    const report = await lintFirefox(DIST_FIREFOX);
    expect(report.errors).toEqual([]);
    // data_collection_permissions is read from Firefox for Android 142 on (the add-on is for desktop Firefox), and
    // Preact's renderer can set innerHTML (for dangerouslySetInnerHTML, which the extension never uses).
    expect(report.warnings.map((warning) => warning.code).sort()).toEqual(['KEY_FIREFOX_ANDROID_UNSUPPORTED_BY_MIN_VERSION', 'UNSAFE_VAR_ASSIGNMENT']);
  }, 60_000);

  it('is the Chrome build’s extension: the same permissions, the add-on id pinned, an event page that exists', async () => {
    const [firefox, chrome] = [await manifestOf(DIST_FIREFOX), await manifestOf(DIST)];
    expect(firefox.browser_specific_settings.gecko).toMatchObject({ id: FIREFOX_ADDON_ID, strict_min_version: FIREFOX_MIN_VERSION });
    // All of Chrome's but `sidePanel`, which Firefox does not know: its side panel is the sidebar.
    expect(firefox.permissions).toEqual(chrome.permissions.filter((permission: string) => permission !== 'sidePanel'));
    expect(firefox.optional_host_permissions).toEqual(chrome.optional_host_permissions);
    expect(firefox.sidebar_action.default_panel).toBe(chrome.side_panel.default_path);
    await expect(readFile(path.join(DIST_FIREFOX, firefox.sidebar_action.default_panel), 'utf8')).resolves.toMatch(/<script/);
    expect(firefox.host_permissions).toEqual(chrome.host_permissions);
    expect(firefox.commands).toEqual(chrome.commands);
    expect(firefox).not.toHaveProperty('key');
    expect(firefox.background.service_worker).toBeUndefined();
    for (const script of firefox.background.scripts) await expect(readFile(path.join(DIST_FIREFOX, script), 'utf8')).resolves.toMatch(/import/);
    // The same page policy: pictures only from where Agile CRM serves them.
    expect(firefox.content_security_policy).toEqual(chrome.content_security_policy);
    expect(firefox.content_security_policy.extension_pages).toMatch(/img-src 'self' data: https:\/\/secure\.gravatar\.com/);
    for (const key of ['web_accessible_resources', 'content_scripts', 'externally_connectable']) {
      expect(firefox).not.toHaveProperty(key);
    }
  });

  it('contains no client secret and no API key', async () => {
    const secrets = [DEV_CLIENT.clientSecret, ...SANDBOX_USERS.map((user) => user.apiKey)];
    for (const file of await files(DIST_FIREFOX)) {
      const content = await readFile(file, 'latin1');
      for (const secret of secrets) expect(content, `${path.relative(DIST_FIREFOX, file)} contains ${secret}`).not.toContain(secret);
      expect(content).not.toMatch(/client_secret/);
    }
  });
});

describe('a Firefox store build (npm run build:firefox-store)', () => {
  it('drops loopback access and bakes in the relay it is built for', async () => {
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'agile-firefox-store-build-'));
    process.env.VITE_RELAY_URL = 'https://relay.example.com';
    try {
      await build({ mode: 'firefox-store', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
      const built = await manifestOf(outDir);
      expect(built.host_permissions).toEqual(['https://*.agilecrm.com/*']);
      expect(built.browser_specific_settings.gecko.id).toBe(FIREFOX_ADDON_ID);
      const code = (await Promise.all((await files(outDir)).filter((file) => file.endsWith('.js')).map((file) => readFile(file, 'utf8')))).join('\n');
      expect(code).toContain('https://relay.example.com');
      expect(code).not.toContain('http://127.0.0.1:8787');
    } finally {
      delete process.env.VITE_RELAY_URL;
      await rm(outDir, { recursive: true, force: true });
    }
  });
});
