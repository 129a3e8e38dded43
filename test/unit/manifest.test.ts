import { describe, expect, it } from 'vitest';
import manifest from '../../manifest.json' with { type: 'json' };
import { extensionIdFromKey, PINNED_EXTENSION_ID } from '../../src/shared/extension-id';

describe('manifest.json', () => {
  it('pins the extension id the relay and sandbox are registered for', async () => {
    expect(await extensionIdFromKey(manifest.key)).toBe(PINNED_EXTENSION_ID);
  });

  it('asks for the permissions the features need, and no more', () => {
    expect([...manifest.permissions].sort()).toEqual(['activeTab', 'contextMenus', 'identity', 'scripting', 'storage']);
    expect(manifest.host_permissions).toEqual(['https://*.agilecrm.com/*', 'http://127.0.0.1/*', 'http://localhost/*']);
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
