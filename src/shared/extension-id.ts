/**
 * The extension's id, pinned by the `key` in manifest.json (a unit test checks they agree). The relay's default
 * allowed origin and redirect URI come from it, so a development setup needs no configuration.
 */
export const PINNED_EXTENSION_ID = 'nkhlbbfclomgnjahebapbbadlbmhibmk';

export const extensionOrigin = (id: string): string => `chrome-extension://${id}`;

/** What `chrome.identity.getRedirectURL()` answers for that id. */
export const chromiumRedirectUri = (id: string): string => `https://${id}.chromiumapp.org/`;

/**
 * The Firefox add-on id, pinned by `browser_specific_settings.gecko.id` in the Firefox build (the AMO listing keeps
 * it for ever). Firefox's redirect URL is derived from it, so it must never change once reps have signed in.
 */
export const FIREFOX_ADDON_ID = 'agile-crm-lookup@example.com';

/** What Firefox's `identity.getRedirectURL()` answers for FIREFOX_ADDON_ID (a unit test checks they agree). */
export const PINNED_FIREFOX_REDIRECT_URI = 'https://15c58ee28adfecb50b99bc6be9828003df8a7ad9.extensions.allizom.org/';

/**
 * Firefox's extension pages and background have the origin `moz-extension://<uuid>`, with a uuid Firefox draws at
 * random for each installation: it cannot be pinned. This pattern in `RELAY_ALLOWED_ORIGINS` lets any of them call
 * the relay; the relay accepts it only beside a Firefox redirect URI (see README, "Firefox").
 */
export const FIREFOX_ORIGINS = 'moz-extension://*';

/** One Firefox installation's origin, as Firefox writes it: `moz-extension://` and a lower-case uuid. */
export const FIREFOX_INSTALLATION_ORIGIN = /^moz-extension:\/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * What Firefox's `identity.getRedirectURL()` answers for an add-on id: `https://<SHA-1 of the id's UTF-8, hex>.
 * extensions.allizom.org/` (toolkit/components/extensions/parent/ext-identity.js, `computeHash`).
 *
 * @example await firefoxRedirectUri('agile-crm-lookup@example.com') // 'https://15c58ee2…a7ad9.extensions.allizom.org/'
 */
export async function firefoxRedirectUri(addonId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(addonId)));
  return `https://${[...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('')}.extensions.allizom.org/`;
}

/** Chrome derives an extension id from its public key: SHA-256, first 16 bytes, hex digits mapped to a–p. */
export async function extensionIdFromKey(base64Key: string): Promise<string> {
  const der = Uint8Array.from(atob(base64Key), (char) => char.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
  return [...digest.slice(0, 16)]
    .map((byte) => String.fromCharCode(97 + (byte >> 4)) + String.fromCharCode(97 + (byte & 15)))
    .join('');
}

/** What `getRedirectURL()` answers: Chromium from the extension id (captured), Firefox from a SHA-1 hash of the add-on id. */
export const CHROMIUM_REDIRECT = /^https:\/\/([a-p]{32})\.chromiumapp\.org\/$/;
export const FIREFOX_REDIRECT = /^https:\/\/[0-9a-f]{40}\.extensions\.allizom\.org\/$/;

/**
 * Checks a redirect URI against the exact forms browsers produce for `launchWebAuthFlow`:
 * `https://<32 letters a–p>.chromiumapp.org/` (Chromium) and `https://<40 hex digits>.extensions.allizom.org/`
 * (Firefox), trailing slash included — RFC 9700 §4.1.3 wants an exact string match, so anything else would refuse
 * every sign-in. Returns null when it is one, or a sentence saying what to write instead.
 *
 * @example redirectUriProblem('https://nkhlbbfclomgnjahebapbbadlbmhibmk.chromiumapp.org') // '… missing the trailing slash …'
 */
export function redirectUriProblem(uri: string): string | null {
  if (CHROMIUM_REDIRECT.test(uri) || FIREFOX_REDIRECT.test(uri)) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${uri} is not a URL. A browser extension's redirect URI looks like https://<extension id>.chromiumapp.org/.`;
  }
  const chromium = url.hostname.endsWith('.chromiumapp.org');
  const firefox = url.hostname.endsWith('.extensions.allizom.org');
  if (!chromium && !firefox) {
    return `${uri} is not a browser extension's redirect URI: Chromium's is https://<extension id>.chromiumapp.org/, Firefox's https://<hash>.extensions.allizom.org/.`;
  }
  const label = url.hostname.slice(0, url.hostname.indexOf('.'));
  if (chromium && !/^[a-p]{32}$/.test(label)) return `${uri}: the part before .chromiumapp.org must be the extension's id, 32 letters a–p.`;
  if (firefox && !/^[0-9a-f]{40}$/.test(label)) return `${uri}: the part before .extensions.allizom.org must be the 40-digit hash Firefox shows in getRedirectURL().`;
  const exact = `https://${url.hostname}/`;
  if (`${uri}/` === exact) return `${uri} is missing the trailing slash the browser adds: use ${exact}`;
  return `${uri} is not exactly what the browser produces (https, lower case, no port, path, query or fragment): use ${exact}`;
}
