import { describe, expect, it } from 'vitest';
import manifest from '../../manifest.json' with { type: 'json' };
import { AVATAR_SOURCES } from '../../src/popup/avatar-source';
import { extensionIdFromKey, PINNED_EXTENSION_ID } from '../../src/shared/extension-id';

/** The extension pages' CSP: the avatar allow-list and the manifest name the same image sources. */
const EXTENSION_PAGES_CSP = `script-src 'self'; object-src 'self'; img-src 'self' data: ${AVATAR_SOURCES.join(' ')}`;

describe('manifest.json', () => {
  it('pins the extension id the relay and sandbox are registered for', async () => {
    expect(await extensionIdFromKey(manifest.key)).toBe(PINNED_EXTENSION_ID);
  });

  it('asks for the permissions the features need, and no more', () => {
    expect([...manifest.permissions].sort()).toEqual(['activeTab', 'contextMenus', 'identity', 'scripting', 'sidePanel', 'storage']);
    expect(manifest.host_permissions).toEqual(['https://*.agilecrm.com/*', 'http://127.0.0.1/*', 'http://localhost/*']);
    // The mail sites are followed only once the rep grants one from a click; no `tabs` permission (its warning reads
    // "your browsing history"): URLs are visible on the sites the extension holds.
    expect(manifest.optional_host_permissions).toEqual(['https://mail.google.com/*', 'https://outlook.office.com/*', 'https://outlook.office365.com/*', 'https://outlook.live.com/*']);
    expect(manifest.permissions).not.toContain('tabs');
    expect(manifest).not.toHaveProperty('content_scripts');
    expect(manifest).not.toHaveProperty('externally_connectable');
    expect(manifest).not.toHaveProperty('web_accessible_resources');
    // MV3's default scripts policy, plus images only from where Agile CRM serves contacts' pictures.
    expect(manifest.content_security_policy).toEqual({ extension_pages: EXTENSION_PAGES_CSP });
  });

  it('opens the popup from a keyboard shortcut', () => {
    expect(manifest.commands._execute_action.suggested_key.default).toBe('Alt+Shift+A');
  });

  it('no shortcut is one Firefox takes for its menu bar (Alt + File, Edit, View, History, Bookmarks, Tools, Help’s letters), or repeats another', () => {
    // Firefox on Linux and Windows opens a menu on Alt with its access key, Shift or not, and the command never fires:
    // measured with Alt+Shift+S (History) in firefox-esr 153.
    const keys = Object.values(manifest.commands).map((command) => command.suggested_key.default);
    for (const key of keys) {
      const parts = key.split('+');
      if (parts.includes('Alt') && !parts.includes('Ctrl')) expect(['F', 'E', 'V', 'S', 'B', 'T', 'H']).not.toContain(parts.at(-1));
    }
    expect(new Set(keys).size).toBe(keys.length);
    expect(manifest.commands['open-side-panel'].suggested_key.default).toBe('Alt+Shift+P');
  });
});
