/**
 * Chrome's manifest.json → the same extension's Firefox manifest, for `vite build --mode firefox`. One source of
 * truth: whatever is added to manifest.json reaches Firefox unless it is a key or permission only Chromium reads.
 */
import { FIREFOX_ADDON_ID } from '../src/shared/extension-id.ts';

/**
 * The oldest Firefox with everything the extension uses: `background.type: "module"` (112), `storage.session`
 * (115), MV3 host permissions granted at install (127), `optional_host_permissions` (128), and the built-in data
 * collection consent that AMO requires of new add-ons (140, also the oldest ESR still supported).
 */
export const FIREFOX_MIN_VERSION = '140.0';

/**
 * What the extension sends off the rep's machine, for Firefox's install-time consent: the addresses and names it
 * finds on the page (content of the website), to the team's relay and Agile CRM.
 */
const DATA_COLLECTION: { required: ('personallyIdentifyingInfo' | 'websiteContent')[] } = { required: ['personallyIdentifyingInfo', 'websiteContent'] };

/** Keys only Chromium reads. `key` pins Chrome's id; Firefox's is `browser_specific_settings.gecko.id`. */
const CHROME_ONLY_KEYS = ['key', 'minimum_chrome_version', 'side_panel', 'update_url', 'oauth2', 'offline_enabled', 'export', 'import'];
/** Permissions Firefox does not know: it would warn at install, and AMO's linter with it. */
const CHROME_ONLY_PERMISSIONS = new Set(['sidePanel', 'offscreen', 'readingList', 'favicon']);

/** The parts of a manifest the transform reads or writes; everything else passes through unchanged. */
interface ManifestParts {
  manifest_version: number;
  name: string;
  version: string;
  icons?: Record<string, string>;
  action?: { default_title?: string; default_icon?: string | Record<string, string> };
  permissions?: string[];
  [key: string]: unknown;
}

export interface ChromeManifest extends ManifestParts {
  background?: { service_worker?: string; scripts?: string[]; type?: string };
  /** Chrome's side panel (`chrome.sidePanel`). */
  side_panel?: { default_path?: string };
}

export interface FirefoxManifest extends ManifestParts {
  background?: { scripts: string[]; type?: string };
  sidebar_action?: { default_panel: string; default_title: string; default_icon?: string | Record<string, string>; open_at_install: boolean };
  browser_specific_settings: {
    gecko: { id: string; strict_min_version: string; data_collection_permissions: typeof DATA_COLLECTION };
  };
}

/**
 * Firefox runs MV3 background code as an event page (`background.scripts`), not a service worker; the same module
 * runs in both, since it keeps nothing in globals that storage does not also hold. Chrome's side panel becomes
 * Firefox's sidebar (`sidebar_action`), closed until the rep opens it. `optional_host_permissions` pass as they are
 * (Firefox 128+), and so do `host_permissions`, which Firefox grants at install from 127 on, as Chrome does.
 *
 * @example firefoxManifest(manifest).background // { scripts: ['src/background/index.ts'], type: 'module' }
 */
export function firefoxManifest(chrome: ChromeManifest, addonId = FIREFOX_ADDON_ID): FirefoxManifest {
  const { background, side_panel: sidePanel, ...rest } = chrome;
  const firefox: FirefoxManifest = {
    ...Object.fromEntries(Object.entries(rest).filter(([key]) => !CHROME_ONLY_KEYS.includes(key))),
    manifest_version: chrome.manifest_version,
    name: chrome.name,
    version: chrome.version,
    browser_specific_settings: {
      gecko: { id: addonId, strict_min_version: FIREFOX_MIN_VERSION, data_collection_permissions: DATA_COLLECTION },
    },
  };
  if (chrome.permissions) firefox.permissions = chrome.permissions.filter((permission) => !CHROME_ONLY_PERMISSIONS.has(permission));
  if (background) {
    const scripts = background.scripts ?? (background.service_worker ? [background.service_worker] : []);
    firefox.background = { scripts, ...(background.type ? { type: background.type } : {}) };
  }
  if (sidePanel?.default_path) {
    const icon = chrome.action?.default_icon ?? chrome.icons;
    firefox.sidebar_action = {
      default_panel: sidePanel.default_path,
      default_title: chrome.action?.default_title ?? chrome.name,
      ...(icon ? { default_icon: icon } : {}),
      open_at_install: false,
    };
  }
  return firefox;
}

/** Pages only the Firefox manifest names, which the build must emit itself (its plugin knows Chrome's keys only). */
export function firefoxOnlyPages(manifest: FirefoxManifest): Record<string, string> {
  return manifest.sidebar_action ? { sidebar: manifest.sidebar_action.default_panel } : {};
}
