/**
 * The relay's configuration, read from the environment (Node's `process.env` or a Worker's bindings — the same
 * names on both) and validated once at start-up. Every problem is reported in one message.
 */
import { chromiumRedirectUri, extensionOrigin, PINNED_EXTENSION_ID } from '../shared/extension-id';
import { isSecureUrl } from '../shared/loopback';
import { fromBase64url } from '../shared/random';
import { parseTrustedProxies, type ClientAddressSettings } from './client-address';

export interface OAuthMode {
  kind: 'oauth';
  clientId: string;
  clientSecret: string;
  /** How the relay authenticates to the upstream token endpoint (RFC 6749 §2.3.1). */
  clientAuth: 'client_secret_basic' | 'client_secret_post';
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  /** Where the extension sends REST calls with the upstream's access token. */
  apiBase: string;
  /** Agile's web app, for "Open in Agile CRM". */
  webBase: string;
  /**
   * The upstream's issuer, when it names itself in authorization responses (RFC 9207 `iss`): published in the
   * metadata so the extension checks `iss` against it rather than against the relay.
   */
  issuer: string | null;
}

export interface BridgeMode {
  kind: 'bridge';
  /** 32-byte AES-GCM key that seals the Agile API key inside the tokens. */
  sealKey: Uint8Array;
  /** Older keys still accepted for opening tokens, so a key can be rotated without signing everyone out. */
  previousSealKeys: Uint8Array[];
  /** `https://{domain}.agilecrm.com`: the only host pattern the bridge ever calls. */
  agileBaseUrl: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  /**
   * Seconds during which a just-rotated refresh token may be presented again without ending the session: a
   * response lost in flight (a timeout, the worker killed mid-refresh) then costs nothing, and the client gets
   * the chain's current token (no fork). 0 = strict rotation.
   */
  refreshReuseGrace: number;
  /**
   * Milliseconds a refused sign-in attempt waits before its answer: a client flooding the form from a fixed number
   * of connections then sends that many attempts a second, however fast the relay could refuse them. 0 = none.
   */
  signInPauseMs: number;
}

export interface RelayConfig {
  /** The relay's own origin as the extension reaches it (the OAuth issuer); null = the request's origin. */
  publicUrl: string | null;
  allowedOrigins: string[];
  allowedRedirectUris: string[];
  upstreamTimeoutMs: number;
  mode: OAuthMode | BridgeMode;
  /** Node only: which forwarded hops to believe when naming the client (Workers use Cloudflare's address). */
  clientAddress: ClientAddressSettings;
  /** Node only: `redis://…` or `rediss://…` for a store shared by several relay processes; null = in memory. */
  storeUrl: string | null;
  /** Node only: the in-memory store's room, in bytes. */
  memoryStoreBytes: number;
}

export type RelayEnv = Record<string, string | undefined>;

export class RelayConfigError extends Error {
  override name = 'RelayConfigError';
  constructor(readonly problems: string[]) {
    super(`The relay cannot start:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

const AGILE = 'https://{domain}.agilecrm.com';

const list = (value: string | undefined, fallback: string[]): string[] =>
  value?.trim() ? value.split(',').map((item) => item.trim()).filter(Boolean) : fallback;

/**
 * Reads and checks the relay's settings.
 *
 * @example
 * const config = loadRelayConfig({ RELAY_MODE: 'oauth', OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 's' });
 */
export function loadRelayConfig(env: RelayEnv): RelayConfig {
  const problems: string[] = [];
  const url = (name: string, fallback?: string): string => {
    const value = env[name]?.trim() || fallback;
    if (!value) {
      problems.push(`${name} is required.`);
      return '';
    }
    try {
      if (!isSecureUrl(new URL(value.replaceAll('{domain}', 'domain')))) problems.push(`${name} must be an https URL (http is allowed only on loopback): ${value}`);
    } catch {
      problems.push(`${name} is not a URL: ${value}`);
    }
    return value.replace(/\/+$/, '');
  };
  const seconds = (name: string, fallback: number, min = 1, unit = 'seconds'): number => {
    const value = env[name]?.trim();
    if (!value) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) problems.push(`${name} must be a whole number of ${unit} (at least ${min}): ${value}`);
    return parsed;
  };
  const key = (name: string, value: string): Uint8Array => {
    try {
      const bytes = fromBase64url(value.trim());
      if (bytes.length === 32) return bytes;
    } catch {
      // reported below
    }
    problems.push(`${name} must be 32 random bytes, base64url-encoded (generate one with: npm run relay -- --new-key).`);
    return new Uint8Array(32);
  };

  const publicUrl = env.RELAY_PUBLIC_URL?.trim() ? url('RELAY_PUBLIC_URL') : null;
  const allowedOrigins = list(env.RELAY_ALLOWED_ORIGINS, [extensionOrigin(PINNED_EXTENSION_ID)]);
  for (const origin of allowedOrigins) {
    if (!/^(chrome-extension|moz-extension|https?):\/\/[^/]+$/.test(origin)) problems.push(`RELAY_ALLOWED_ORIGINS: not an origin: ${origin}`);
  }
  const allowedRedirectUris = list(env.RELAY_ALLOWED_REDIRECT_URIS, [chromiumRedirectUri(PINNED_EXTENSION_ID)]);
  const upstreamTimeoutMs = seconds('RELAY_UPSTREAM_TIMEOUT', 8) * 1000;

  const modeName = env.RELAY_MODE?.trim() || 'oauth';
  let mode: OAuthMode | BridgeMode;
  if (modeName === 'bridge') {
    const sealKey = env.RELAY_SEAL_KEY?.trim();
    if (!sealKey) problems.push('RELAY_SEAL_KEY is required in bridge mode: it seals Agile API keys inside tokens. Generate one with: npm run relay -- --new-key');
    mode = {
      kind: 'bridge',
      sealKey: sealKey ? key('RELAY_SEAL_KEY', sealKey) : new Uint8Array(32),
      previousSealKeys: list(env.RELAY_PREVIOUS_SEAL_KEYS, []).map((old) => key('RELAY_PREVIOUS_SEAL_KEYS', old)),
      agileBaseUrl: url('AGILE_BASE_URL', AGILE),
      accessTokenTtl: seconds('RELAY_ACCESS_TOKEN_TTL', 15 * 60),
      refreshTokenTtl: seconds('RELAY_REFRESH_TOKEN_TTL', 30 * 24 * 60 * 60),
      refreshReuseGrace: seconds('RELAY_REFRESH_REUSE_GRACE', 30, 0),
      signInPauseMs: Math.min(seconds('RELAY_SIGN_IN_PAUSE_MS', 1_000, 0, 'milliseconds'), 10_000),
    };
  } else if (modeName === 'oauth') {
    const clientId = env.OAUTH_CLIENT_ID?.trim() ?? '';
    const clientSecret = env.OAUTH_CLIENT_SECRET ?? '';
    if (!clientId) problems.push('OAUTH_CLIENT_ID is required in oauth mode.');
    if (!clientSecret) problems.push('OAUTH_CLIENT_SECRET is required in oauth mode: the relay is the only place that holds it.');
    const clientAuth = env.OAUTH_CLIENT_AUTH?.trim() || 'client_secret_basic';
    if (clientAuth !== 'client_secret_basic' && clientAuth !== 'client_secret_post') {
      problems.push(`OAUTH_CLIENT_AUTH must be client_secret_basic or client_secret_post: ${clientAuth}`);
    }
    const base = url('AGILE_BASE_URL', AGILE);
    mode = {
      kind: 'oauth',
      clientId,
      clientSecret,
      clientAuth: clientAuth === 'client_secret_post' ? 'client_secret_post' : 'client_secret_basic',
      authorizeUrl: url('OAUTH_AUTHORIZE_URL', `${base}/oauth/authorize`),
      tokenUrl: url('OAUTH_TOKEN_URL', `${base}/oauth/token`),
      revokeUrl: url('OAUTH_REVOKE_URL', `${base}/oauth/revoke`),
      apiBase: url('AGILE_API_BASE', `${base}/dev/api`),
      webBase: base,
      issuer: env.OAUTH_ISSUER?.trim() ? url('OAUTH_ISSUER') : null,
    };
  } else {
    problems.push(`RELAY_MODE must be oauth or bridge: ${modeName}`);
    mode = { kind: 'bridge', sealKey: new Uint8Array(32), previousSealKeys: [], agileBaseUrl: AGILE, accessTokenTtl: 1, refreshTokenTtl: 1, refreshReuseGrace: 0, signInPauseMs: 0 };
  }

  const trusted = parseTrustedProxies(env.RELAY_TRUSTED_PROXIES);
  if (!trusted.ok) problems.push(trusted.problem);
  const forwardedHeader = env.RELAY_FORWARDED_HEADER?.trim().toLowerCase() || 'x-forwarded-for';
  if (forwardedHeader !== 'x-forwarded-for' && forwardedHeader !== 'forwarded') {
    problems.push(`RELAY_FORWARDED_HEADER must be x-forwarded-for or forwarded: ${forwardedHeader}`);
  }
  const clientAddress: ClientAddressSettings = {
    trustedProxies: trusted.ok ? trusted.value : null,
    forwardedHeader: forwardedHeader === 'forwarded' ? 'forwarded' : 'x-forwarded-for',
  };
  const storeUrl = env.RELAY_STORE_URL?.trim() || null;
  if (storeUrl) {
    let protocol = '';
    try {
      protocol = new URL(storeUrl).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:') problems.push('RELAY_STORE_URL must be a redis:// or rediss:// URL.');
  }
  const memoryStoreBytes = seconds('RELAY_MEMORY_STORE_MB', 64, 1, 'MiB') * 1024 * 1024;

  if (problems.length > 0) throw new RelayConfigError(problems);
  return { publicUrl, allowedOrigins, allowedRedirectUris, upstreamTimeoutMs, mode, clientAddress, storeUrl, memoryStoreBytes };
}
