/**
 * Where the worker keeps the sign-in, validated on every read (storage is a boundary).
 *
 * - The grant — refresh token, endpoints, API base — lives in `storage.local`, so the rep stays signed in across
 *   worker terminations and browser restarts.
 * - The access token lives in `storage.session`: memory only, trusted contexts only, gone at browser restart
 *   (a refresh brings a new one).
 */
import * as v from 'valibot';
import { keepInStorage } from './contact-cache';

const Grant = v.object({
  /** The relay's OAuth metadata, so a refresh needs no discovery round-trip. */
  issuer: v.string(),
  tokenEndpoint: v.string(),
  revocationEndpoint: v.nullable(v.string()),
  clientId: v.string(),
  /** Empty when the provider issues none: the session then renews by silent re-authentication. */
  refreshToken: v.string(),
  /** The domain hint sent at sign-in; the relay needs it again for refresh and revocation. */
  domain: v.nullable(v.string()),
  apiBase: v.string(),
  webBase: v.string(),
  user: v.nullable(v.string()),
  /**
   * `bridge`: the relay is the authorization server, and its refusals are written for the rep; `oauth`: they come
   * from a provider, in words meant for developers. Older records have none.
   */
  relayMode: v.optional(v.picklist(['oauth', 'bridge']), 'oauth'),
});
export type Grant = v.InferOutput<typeof Grant>;

const Access = v.object({
  accessToken: v.string(),
  /** Epoch milliseconds. */
  expiresAt: v.number(),
  /** When to renew: a little before expiry, so no request leaves with a dying token. */
  refreshAt: v.number(),
  /** Which refresh token this access token belongs to, so a stale one is never paired with a new grant. */
  refreshToken: v.string(),
});
export type Access = v.InferOutput<typeof Access>;

const GRANT_KEY = 'grant';
const ACCESS_KEY = 'access';

async function read<T extends v.GenericSchema>(area: chrome.storage.StorageArea, key: string, schema: T): Promise<v.InferOutput<T> | null> {
  const stored = await area.get(key);
  const parsed = v.safeParse(schema, stored[key]);
  return parsed.success ? parsed.output : null;
}

export const tokenStore = {
  loadGrant: (): Promise<Grant | null> => read(chrome.storage.local, GRANT_KEY, Grant),

  async loadAccess(): Promise<Access | null> {
    return read(chrome.storage.session, ACCESS_KEY, Access);
  },

  /**
   * Persists a token response at once: a rotated refresh token must be on disk before anything uses it, or a
   * worker killed in between would be left holding the old, now-refused one.
   */
  async save(grant: Grant, access: Access): Promise<void> {
    await keepInStorage({ [GRANT_KEY]: grant }, 'the sign-in');
    await chrome.storage.session.set({ [ACCESS_KEY]: access });
  },

  async clear(): Promise<void> {
    await chrome.storage.session.remove(ACCESS_KEY);
    await chrome.storage.local.remove(GRANT_KEY);
  },
};
