import { describe, expect, it } from 'vitest';
import manifest from '../../manifest.json' with { type: 'json' };
import { extensionIdFromKey, PINNED_EXTENSION_ID } from '../../src/shared/extension-id';

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
    // No CSP override: MV3's default (script-src 'self') is the strictest the extension can run with.
    expect(manifest).not.toHaveProperty('content_security_policy');
  });

  it('opens the popup from a keyboard shortcut', () => {
    expect(manifest.commands._execute_action.suggested_key.default).toBe('Alt+Shift+A');
  });
});
