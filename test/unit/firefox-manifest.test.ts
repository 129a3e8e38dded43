/**
 * The Firefox manifest, made from manifest.json: Chrome-only keys and permissions dropped, the service worker an
 * event page, the side panel a sidebar, the add-on id pinned — with and without the keys another part adds — and
 * Mozilla's linter accepts the result. The pinned id gives the redirect URI the relay and sandbox expect.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import manifest from '../../manifest.json' with { type: 'json' };
import { lintFirefox } from '../../scripts/firefox-lint';
import { FIREFOX_MIN_VERSION, firefoxManifest, firefoxOnlyPages, type ChromeManifest } from '../../scripts/firefox-manifest';
import { FIREFOX_ADDON_ID, firefoxRedirectUri, PINNED_FIREFOX_REDIRECT_URI, redirectUriProblem } from '../../src/shared/extension-id';

/** manifest.json's permissions that Firefox knows: all but Chrome's `sidePanel`. */
const firefoxPermissions = manifest.permissions.filter((permission) => permission !== 'sidePanel');

/** A manifest with a side panel of another path and other mail sites: the transform reads them, not fixed names. */
const withSidePanel: ChromeManifest = {
  ...manifest,
  permissions: [...firefoxPermissions, 'sidePanel'],
  side_panel: { default_path: 'src/panel/index.html' },
  optional_host_permissions: ['https://mail.google.com/*', 'https://outlook.office.com/*'],
};

describe('the pinned Firefox add-on id', () => {
  it('gives the redirect URI the relay and sandbox are configured for, as Firefox computes it (SHA-1 of the id)', async () => {
    expect(await firefoxRedirectUri(FIREFOX_ADDON_ID)).toBe(PINNED_FIREFOX_REDIRECT_URI);
    expect(redirectUriProblem(PINNED_FIREFOX_REDIRECT_URI)).toBeNull();
    // Another id, another host: the hash is of the id's exact text.
    expect(await firefoxRedirectUri('agile-crm-lookup@example.org')).not.toBe(PINNED_FIREFOX_REDIRECT_URI);
    expect(await firefoxRedirectUri('')).toBe('https://da39a3ee5e6b4b0d3255bfef95601890afd80709.extensions.allizom.org/');
  });
});

describe('firefoxManifest', () => {
  it('manifest.json as it is: an event page, the id pinned, the side panel a sidebar, nothing Chrome-only, everything else unchanged', () => {
    const firefox = firefoxManifest(manifest);
    expect(firefox.background).toEqual({ scripts: ['src/background/index.ts'], type: 'module' });
    expect(firefox.browser_specific_settings.gecko).toMatchObject({ id: FIREFOX_ADDON_ID, strict_min_version: FIREFOX_MIN_VERSION });
    for (const key of ['key', 'minimum_chrome_version', 'side_panel']) expect(firefox).not.toHaveProperty(key);
    expect(firefox.permissions).toEqual(firefoxPermissions);
    expect(firefox.sidebar_action).toMatchObject({ default_panel: manifest.side_panel.default_path, open_at_install: false });
    const { key: _key, minimum_chrome_version: _minimum, background: _background, side_panel: _panel, permissions: _permissions, ...shared } = manifest;
    expect(firefox).toMatchObject(shared);
    expect(firefoxOnlyPages(firefox)).toEqual({ sidebar: manifest.side_panel.default_path });
  });

  it('with a side panel: Firefox’s sidebar, closed at install, the sidePanel permission dropped, optional hosts kept', () => {
    const firefox = firefoxManifest(withSidePanel);
    expect(firefox.sidebar_action).toEqual({
      default_panel: 'src/panel/index.html', default_title: manifest.action.default_title, default_icon: manifest.action.default_icon, open_at_install: false,
    });
    expect(firefox).not.toHaveProperty('side_panel');
    expect(firefox.permissions).toEqual(firefoxPermissions);
    expect(firefox.optional_host_permissions).toEqual(withSidePanel.optional_host_permissions);
    expect(firefoxOnlyPages(firefox)).toEqual({ sidebar: 'src/panel/index.html' });
  });

  it('a manifest already written for both browsers keeps its background scripts; one with no action titles the sidebar by name', () => {
    const { action: _action, ...bare } = withSidePanel;
    const firefox = firefoxManifest({ ...bare, background: { service_worker: 'sw.js', scripts: ['page.js'] } });
    expect(firefox.background).toEqual({ scripts: ['page.js'] });
    expect(firefox.sidebar_action).toMatchObject({ default_title: manifest.name, default_icon: manifest.icons });
  });

  it('Mozilla’s linter finds no error in either manifest (the files they name present)', async () => {
    for (const source of [manifest, withSidePanel]) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'agile-firefox-manifest-'));
      try {
        const firefox = firefoxManifest(source);
        const icons = [...Object.values(firefox.icons ?? {}), ...Object.values(manifest.action.default_icon)];
        const pages = [manifest.action.default_popup, manifest.options_ui.page, ...Object.values(firefoxOnlyPages(firefox))];
        const write = async (file: string, content: string | Buffer) => {
          await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
          await writeFile(path.join(dir, file), content);
        };
        await write('manifest.json', JSON.stringify({ ...firefox, background: { scripts: ['background.js'], type: 'module' } }));
        await write('background.js', 'export {};\n');
        for (const page of pages) await write(page, '<!doctype html><title>page</title>');
        // The smallest valid PNG (1×1): the linter reads icons.
        const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
        for (const icon of icons) await write(icon, png);
        const report = await lintFirefox(dir);
        expect(report.errors).toEqual([]);
        expect(report.warnings.map((warning) => warning.code)).not.toContain('MANIFEST_PERMISSIONS');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }, 60_000);
});
