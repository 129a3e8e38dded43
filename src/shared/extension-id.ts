/**
 * The extension's id, pinned by the `key` in manifest.json (a unit test checks they agree). The relay's default
 * allowed origin and redirect URI come from it, so a development setup needs no configuration.
 */
export const PINNED_EXTENSION_ID = 'nkhlbbfclomgnjahebapbbadlbmhibmk';

export const extensionOrigin = (id: string): string => `chrome-extension://${id}`;

/** What `chrome.identity.getRedirectURL()` answers for that id. */
export const chromiumRedirectUri = (id: string): string => `https://${id}.chromiumapp.org/`;

/** Chrome derives an extension id from its public key: SHA-256, first 16 bytes, hex digits mapped to a–p. */
export async function extensionIdFromKey(base64Key: string): Promise<string> {
  const der = Uint8Array.from(atob(base64Key), (char) => char.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der));
  return [...digest.slice(0, 16)]
    .map((byte) => String.fromCharCode(97 + (byte >> 4)) + String.fromCharCode(97 + (byte & 15)))
    .join('');
}
