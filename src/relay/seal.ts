/**
 * Authenticated encryption (AES-256-GCM, WebCrypto) for everything the API-key bridge hands out: the pending
 * sign-in request, authorization codes, access and refresh tokens. The Agile API key travels inside them, so
 * the relay keeps no per-user secret state and any number of instances with the same key can serve.
 *
 * The purpose is bound as additional authenticated data: a refresh token can never be opened as an access
 * token, nor a code as either.
 */
import { base64url, fromBase64url } from '../shared/random';

export type SealPurpose = 'request' | 'code' | 'access' | 'refresh';

export interface Sealer {
  seal(purpose: SealPurpose, payload: object): Promise<string>;
  /** The payload, or null for anything tampered with, sealed for another purpose, or under an unknown key. */
  open(purpose: SealPurpose, token: string): Promise<unknown>;
}

const IV_BYTES = 12;

/**
 * @example
 * const sealer = createSealer(key);
 * const token = await sealer.seal('access', { exp: 1 });
 * await sealer.open('refresh', token) // null
 */
export function createSealer(key: Uint8Array, previousKeys: Uint8Array[] = []): Sealer {
  const importKey = (raw: Uint8Array) =>
    crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const current = importKey(key);
  const all = Promise.all([current, ...previousKeys.map(importKey)]);
  const aad = (purpose: SealPurpose) => new TextEncoder().encode(`agile-relay:${purpose}`);

  return {
    async seal(purpose, payload) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const plain = new TextEncoder().encode(JSON.stringify(payload));
      const cipher = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(purpose) }, await current, plain);
      const out = new Uint8Array(IV_BYTES + cipher.byteLength);
      out.set(iv);
      out.set(new Uint8Array(cipher), IV_BYTES);
      return base64url(out);
    },
    async open(purpose, token) {
      let bytes: Uint8Array;
      try {
        bytes = fromBase64url(token);
      } catch {
        return null;
      }
      if (bytes.length <= IV_BYTES + 16 || token.length > 8192) return null;
      const iv = bytes.slice(0, IV_BYTES);
      const data = bytes.slice(IV_BYTES);
      for (const candidate of await all) {
        try {
          const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad(purpose) }, candidate, data);
          return JSON.parse(new TextDecoder().decode(plain));
        } catch {
          // Try the next key: during a rotation, tokens sealed under the previous key are still good.
        }
      }
      return null;
    },
  };
}
