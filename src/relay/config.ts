/**
 * The relay's configuration, read from the environment (Node's `process.env` or a Worker's bindings — the same
 * names on both) and validated once at start-up. Every problem is reported in one message; what only the OAuth
 * provider can answer (its discovery document) is checked by provider.ts and joins the same list.
 */
import {
  CHROMIUM_REDIRECT, chromiumRedirectUri, extensionOrigin, FIREFOX_INSTALLATION_ORIGIN, FIREFOX_ORIGINS, FIREFOX_REDIRECT, PINNED_EXTENSION_ID,
  PINNED_FIREFOX_REDIRECT_URI, redirectUriProblem,
} from '../shared/extension-id';
import { isSecureUrl } from '../shared/loopback';
import { PARAMETER_NAME, SCOPE_TOKEN } from '../shared/oauth-syntax';
import { fromBase64url } from '../shared/random';
import { parseTrustedProxies, type ClientAddressSettings } from './client-address';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface OAuthMode {
  kind: 'oauth';
  clientId: string;
  clientSecret: string;
  /**
   * How the relay authenticates to the provider's token endpoint (RFC 6749 §2.3.1); null = the first of basic and
   * post that the provider's metadata lists (basic when it says nothing, as RFC 8414 §2 defaults).
   */
  clientAuth: ClientAuthMethod | null;
  /**
   * `OAUTH_ISSUER`: the provider's issuer identifier. With it the relay discovers whatever endpoint is not set
   * (RFC 8414, then OpenID Connect Discovery), checks RFC 9207 `iss` and ID tokens against it, and publishes it
   * so the extension does the same. Null: an Agile-style provider known by its endpoints alone.
   */
  issuer: string | null;
  /**
   * Endpoints set by variables; templates may hold `{domain}`. Null = discovered from the issuer. Without an
   * issuer, the authorization, token and revocation endpoints default to Agile CRM's under `AGILE_BASE_URL`.
   */
  authorizeUrl: string | null;
  tokenUrl: string | null;
  revokeUrl: string | null;
  jwksUri: string | null;
  /** Where the extension sends REST calls with the provider's access token. */
  apiBase: string;
  /** Agile's web app, for "Open in Agile CRM". */
  webBase: string;
  /** `OAUTH_SCOPE`, as scope tokens (RFC 6749 §3.3). */
  scope: string[];
  /**
   * The other authorization-request parameters the provider requires (`prompt`, `audience`, `resource`,
   * `access_type`, anything in `OAUTH_AUTHORIZE_PARAMS`). Published in the relay's metadata; the extension sends
   * them and the relay's `/authorize` forwards exactly these names.
   */
  authorizationParameters: Record<string, string>;
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
  /**
   * Seconds during which a refresh token just used may be presented again and get the same outcome instead of a
   * reuse: a response lost in flight (a timeout, the worker killed mid-refresh) then costs nothing. Bridge mode
   * answers with the chain's current token (no fork); OAuth mode with the provider's answer, kept sealed (see
   * refresh-answers.ts), so the provider never sees the token twice. 0 = strict rotation.
   */
  refreshReuseGrace: number;
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

/** OpenID Connect Core §3.1.2.1, plus `create` (OpenID Connect Initiating User Registration). */
const PROMPT_VALUES = new Set(['login', 'consent', 'select_account', 'create', 'none']);
/**
 * Parameters `OAUTH_AUTHORIZE_PARAMS` may not set: the extension and the relay set them for each request, they
 * have variables of their own, or they would take the answer away from the extension's redirect URI.
 */
const RESERVED_PARAMETERS = new Map(Object.entries({
  response_type: 'the extension sets it', client_id: 'set OAUTH_CLIENT_ID', redirect_uri: 'set RELAY_ALLOWED_REDIRECT_URIS',
  state: 'the extension sets it', code_challenge: 'the extension sets it', code_challenge_method: 'the extension sets it',
  nonce: 'PKCE already binds the code to its sign-in, and the relay checks no nonce', domain: 'the extension sets it', scope: 'set OAUTH_SCOPE', prompt: 'set OAUTH_PROMPT',
  audience: 'set OAUTH_AUDIENCE', resource: 'set OAUTH_RESOURCE', access_type: 'set OAUTH_ACCESS_TYPE',
  response_mode: 'the answer must come back in the redirect URI\'s query', request: 'signed requests cannot be configured',
  request_uri: 'signed requests cannot be configured',
}));

/**
 * `OAUTH_SCOPE`: space-separated scope tokens (RFC 6749 §3.3), duplicates dropped. Never throws: what is wrong
 * is returned as sentences.
 *
 * @example parseScope('openid  email offline_access') // { scope: ['openid', 'email', 'offline_access'], problems: [] }
 */
export function parseScope(value: string): { scope: string[]; problems: string[] } {
  const scope: string[] = [];
  const problems: string[] = [];
  for (const token of value.split(/[ \t\r\n]+/).filter(Boolean)) {
    if (!SCOPE_TOKEN.test(token)) problems.push(`OAUTH_SCOPE: ${JSON.stringify(token)} is not a scope token (RFC 6749 §3.3: printable ASCII, no spaces, quotes or backslashes).`);
    else if (!scope.includes(token)) scope.push(token);
  }
  return { scope, problems };
}

/**
 * `OAUTH_AUTHORIZE_PARAMS`: extra authorization-request parameters as `name=value&name=value`
 * (application/x-www-form-urlencoded, so values may be percent-encoded). Names follow RFC 6749 Appendix A.1, appear
 * once, have a value, and are none of the parameters the extension, the relay or another variable sets. Never
 * throws.
 *
 * @example parseAuthorizeParams('acr_values=urn%3Amfa&ui_locales=en') // { params: { acr_values: 'urn:mfa', ui_locales: 'en' }, problems: [] }
 */
export function parseAuthorizeParams(value: string): { params: Record<string, string>; problems: string[] } {
  // A Map, not an object: names such as constructor or __proto__ are just names here.
  const params = new Map<string, string>();
  const problems: string[] = [];
  const where = 'OAUTH_AUTHORIZE_PARAMS';
  for (const pair of value.split('&')) {
    if (!pair.trim()) continue;
    let name: string;
    let text: string;
    try {
      const equals = pair.indexOf('=');
      const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, ' '));
      name = decode(equals < 0 ? pair : pair.slice(0, equals)).trim();
      text = equals < 0 ? '' : decode(pair.slice(equals + 1));
    } catch {
      problems.push(`${where}: ${JSON.stringify(pair)} is not valid percent-encoding.`);
      continue;
    }
    if (!PARAMETER_NAME.test(name)) problems.push(`${where}: ${JSON.stringify(name)} is not a parameter name (letters, digits, ".", "_", "-").`);
    else if (RESERVED_PARAMETERS.has(name)) problems.push(`${where} may not set ${name}: ${RESERVED_PARAMETERS.get(name)}.`);
    else if (params.has(name)) problems.push(`${where} names ${name} twice.`);
    else if (!text) problems.push(`${where}: ${name} has no value (write ${name}=value).`);
    else params.set(name, text);
  }
  return { params: Object.fromEntries(params), problems };
}

/**
 * Reads and checks the relay's settings; throws `RelayConfigError` listing every problem.
 *
 * @example
 * const config = loadRelayConfig({ RELAY_MODE: 'oauth', OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 's' });
 */
export function loadRelayConfig(env: RelayEnv): RelayConfig {
  const { config, problems } = readRelayConfig(env);
  if (problems.length > 0) throw new RelayConfigError(problems);
  return config;
}

/**
 * The settings and every problem found in them, without throwing: the Node listener adds what discovery finds
 * before refusing to start.
 */
export function readRelayConfig(env: RelayEnv): { config: RelayConfig; problems: string[] } {
  const problems: string[] = [];
  const given = (name: string) => env[name]?.trim() || undefined;
  const url = (name: string, fallback?: string): string => {
    const value = given(name) ?? fallback;
    if (!value) {
      problems.push(`${name} is required.`);
      return '';
    }
    try {
      const parsed = new URL(value.replaceAll('{domain}', 'domain'));
      if (!isSecureUrl(parsed)) problems.push(`${name} must be an https URL (http is allowed only on loopback): ${value}`);
      else if (parsed.username || parsed.password || parsed.hash) problems.push(`${name} must not contain a login or a #fragment: ${value}`);
    } catch {
      problems.push(`${name} is not a URL: ${value}`);
    }
    return value.replace(/\/+$/, '');
  };
  const optionalUrl = (name: string): string | null => (given(name) ? url(name) : null);
  const seconds = (name: string, fallback: number, min = 1, unit = 'seconds'): number => {
    const value = given(name);
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

  const publicUrl = given('RELAY_PUBLIC_URL') ? url('RELAY_PUBLIC_URL') : null;
  const allowedRedirectUris = list(env.RELAY_ALLOWED_REDIRECT_URIS, [chromiumRedirectUri(PINNED_EXTENSION_ID), PINNED_FIREFOX_REDIRECT_URI]);
  const chromiumIds = allowedRedirectUris.flatMap((uri) => CHROMIUM_REDIRECT.exec(uri)?.[1] ?? []);
  const firefoxRedirect = allowedRedirectUris.some((uri) => FIREFOX_REDIRECT.test(uri));
  // By default, the origins of the extensions the redirect URIs name: each one exchanges its codes from its own.
  const allowedOrigins = list(env.RELAY_ALLOWED_ORIGINS, [...chromiumIds.map(extensionOrigin), ...(firefoxRedirect ? [FIREFOX_ORIGINS] : [])]);
  for (const origin of allowedOrigins) {
    if (origin === FIREFOX_ORIGINS) continue;
    if (/^[a-z-]+:\/\/[^/]+\/$/.test(origin)) problems.push(`RELAY_ALLOWED_ORIGINS: an origin has no trailing slash: use ${origin.slice(0, -1)}`);
    else if (origin.includes('*')) problems.push(`RELAY_ALLOWED_ORIGINS: ${origin}: the only pattern is ${FIREFOX_ORIGINS} (Firefox add-ons); name every other origin exactly.`);
    else if (!/^(chrome-extension|moz-extension|https?):\/\/[^/]+$/.test(origin)) problems.push(`RELAY_ALLOWED_ORIGINS: not an origin: ${origin}`);
    else if (origin.startsWith('chrome-extension://') && !/^chrome-extension:\/\/[a-p]{32}$/.test(origin)) {
      problems.push(`RELAY_ALLOWED_ORIGINS: ${origin} does not name an extension id (32 letters a–p).`);
    } else if (origin.startsWith('moz-extension://') && !FIREFOX_INSTALLATION_ORIGIN.test(origin)) {
      problems.push(`RELAY_ALLOWED_ORIGINS: ${origin} is not a Firefox add-on's origin (moz-extension://<uuid>, lower case); for every installation write ${FIREFOX_ORIGINS}.`);
    }
  }
  for (const uri of allowedRedirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) problems.push(`RELAY_ALLOWED_REDIRECT_URIS: ${problem}`);
  }
  for (const id of chromiumIds) {
    if (!allowedOrigins.includes(extensionOrigin(id))) {
      problems.push(`RELAY_ALLOWED_REDIRECT_URIS names the extension ${id}, but RELAY_ALLOWED_ORIGINS does not allow its origin: add ${extensionOrigin(id)}`);
    }
  }
  const firefoxOrigins = allowedOrigins.filter((origin) => origin.startsWith('moz-extension://'));
  if (firefoxRedirect && firefoxOrigins.length === 0) {
    problems.push(`RELAY_ALLOWED_REDIRECT_URIS names a Firefox add-on, but RELAY_ALLOWED_ORIGINS allows no Firefox origin: add ${FIREFOX_ORIGINS} (Firefox draws each installation's origin at random).`);
  }
  // Any Firefox add-on can send a moz-extension origin: it is worth allowing only for the add-on the relay signs in.
  if (!firefoxRedirect && firefoxOrigins.length > 0) {
    problems.push(`RELAY_ALLOWED_ORIGINS allows ${firefoxOrigins.join(', ')}, but RELAY_ALLOWED_REDIRECT_URIS names no Firefox add-on to sign in: add its redirect URI (${PINNED_FIREFOX_REDIRECT_URI} for the pinned one), or remove the Firefox origin.`);
  }
  const upstreamTimeoutMs = seconds('RELAY_UPSTREAM_TIMEOUT', 8) * 1000;
  const refreshReuseGrace = seconds('RELAY_REFRESH_REUSE_GRACE', 30, 0);

  const modeName = given('RELAY_MODE') ?? 'oauth';
  let mode: OAuthMode | BridgeMode;
  if (modeName === 'bridge') {
    const sealKey = given('RELAY_SEAL_KEY');
    if (!sealKey) problems.push('RELAY_SEAL_KEY is required in bridge mode: it seals Agile API keys inside tokens. Generate one with: npm run relay -- --new-key');
    mode = {
      kind: 'bridge',
      sealKey: sealKey ? key('RELAY_SEAL_KEY', sealKey) : new Uint8Array(32),
      previousSealKeys: list(env.RELAY_PREVIOUS_SEAL_KEYS, []).map((old) => key('RELAY_PREVIOUS_SEAL_KEYS', old)),
      agileBaseUrl: url('AGILE_BASE_URL', AGILE),
      accessTokenTtl: seconds('RELAY_ACCESS_TOKEN_TTL', 15 * 60),
      refreshTokenTtl: seconds('RELAY_REFRESH_TOKEN_TTL', 30 * 24 * 60 * 60),
      signInPauseMs: Math.min(seconds('RELAY_SIGN_IN_PAUSE_MS', 1_000, 0, 'milliseconds'), 10_000),
    };
  } else if (modeName === 'oauth') {
    mode = readOAuthMode(env, given, url, optionalUrl, problems);
  } else {
    problems.push(`RELAY_MODE must be oauth or bridge: ${modeName}`);
    mode = { kind: 'bridge', sealKey: new Uint8Array(32), previousSealKeys: [], agileBaseUrl: AGILE, accessTokenTtl: 1, refreshTokenTtl: 1, signInPauseMs: 0 };
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

  return {
    config: { publicUrl, allowedOrigins, allowedRedirectUris, upstreamTimeoutMs, refreshReuseGrace, mode, clientAddress, storeUrl, memoryStoreBytes },
    problems,
  };
}

function readOAuthMode(
  env: RelayEnv,
  given: (name: string) => string | undefined,
  url: (name: string, fallback?: string) => string,
  optionalUrl: (name: string) => string | null,
  problems: string[],
): OAuthMode {
  const clientId = given('OAUTH_CLIENT_ID') ?? '';
  const clientSecret = env.OAUTH_CLIENT_SECRET ?? '';
  if (!clientId) problems.push('OAUTH_CLIENT_ID is required in oauth mode.');
  if (!clientSecret) problems.push('OAUTH_CLIENT_SECRET is required in oauth mode: the relay is the only place that holds it.');
  const clientAuth = given('OAUTH_CLIENT_AUTH') ?? null;
  if (clientAuth !== null && clientAuth !== 'client_secret_basic' && clientAuth !== 'client_secret_post') {
    problems.push(`OAUTH_CLIENT_AUTH must be client_secret_basic or client_secret_post: ${clientAuth}`);
  }

  // The issuer is an identifier compared character for character (RFC 8414 §3.3, RFC 9207 §2.4): kept as written.
  const issuer = given('OAUTH_ISSUER') ?? null;
  if (issuer !== null) {
    const checked = url('OAUTH_ISSUER');
    if (checked && (issuer.includes('{domain}') || /[?#]/.test(issuer))) {
      problems.push(`OAUTH_ISSUER must be the provider's issuer exactly, with no {domain}, query or fragment (RFC 8414 §2): ${issuer}`);
    }
  }
  // Without an issuer there is nothing to discover: Agile CRM's own endpoint layout is the default.
  const base = given('AGILE_BASE_URL') ? url('AGILE_BASE_URL') : AGILE;
  const endpoint = (name: string, path: string) => optionalUrl(name) ?? (issuer === null ? `${base}${path}` : null);
  const apiBase = url('AGILE_API_BASE', `${base}/dev/api`);
  const webBase = given('AGILE_WEB_BASE') ? url('AGILE_WEB_BASE') : webBaseFor(env, base, apiBase);

  const scope = parseScope(env.OAUTH_SCOPE ?? '');
  problems.push(...scope.problems);
  if (scope.scope.includes('openid') && issuer === null) {
    problems.push('OAUTH_SCOPE asks for openid, so the provider sends an ID token: set OAUTH_ISSUER, so the relay can check it (issuer, audience, signature).');
  }
  const extra = parseAuthorizeParams(env.OAUTH_AUTHORIZE_PARAMS ?? '');
  problems.push(...extra.problems);
  const parameters: Record<string, string> = {};
  const prompt = given('OAUTH_PROMPT');
  if (prompt !== undefined) {
    const values = prompt.split(/\s+/);
    if (values.includes('none')) {
      problems.push('OAUTH_PROMPT=none would never show the sign-in page; the extension sends prompt=none by itself when it re-authenticates silently. Use consent, login or select_account.');
    } else if (values.some((value) => !PROMPT_VALUES.has(value))) {
      problems.push(`OAUTH_PROMPT must be space-separated values among login, consent, select_account, create: ${prompt}`);
    }
    parameters.prompt = values.join(' ');
  }
  const audience = given('OAUTH_AUDIENCE');
  if (audience !== undefined) parameters.audience = audience;
  const resource = given('OAUTH_RESOURCE');
  if (resource !== undefined) {
    let absolute = false;
    try {
      absolute = !new URL(resource).hash && !resource.includes('#');
    } catch {
      // reported below
    }
    if (!absolute) problems.push(`OAUTH_RESOURCE must be an absolute URI without a fragment (RFC 8707 §2): ${resource}`);
    parameters.resource = resource;
  }
  const accessType = given('OAUTH_ACCESS_TYPE');
  if (accessType !== undefined) {
    if (accessType !== 'offline' && accessType !== 'online') problems.push(`OAUTH_ACCESS_TYPE must be offline or online: ${accessType}`);
    parameters.access_type = accessType;
  }

  return {
    kind: 'oauth',
    clientId,
    clientSecret,
    clientAuth: clientAuth === 'client_secret_post' || clientAuth === 'client_secret_basic' ? clientAuth : null,
    issuer,
    authorizeUrl: endpoint('OAUTH_AUTHORIZE_URL', '/oauth/authorize'),
    tokenUrl: endpoint('OAUTH_TOKEN_URL', '/oauth/token'),
    revokeUrl: endpoint('OAUTH_REVOKE_URL', '/oauth/revoke'),
    jwksUri: optionalUrl('OAUTH_JWKS_URI'),
    apiBase,
    webBase,
    scope: scope.scope,
    authorizationParameters: { ...parameters, ...extra.params },
  };
}

/**
 * Agile's web app when `AGILE_WEB_BASE` is not set: `AGILE_BASE_URL` if it is, else where `AGILE_API_BASE` lives
 * (Agile serves its REST API at `<app>/dev/api`), so a fixed API base needs no `{domain}` template beside it.
 */
function webBaseFor(env: RelayEnv, base: string, apiBase: string): string {
  if (env.AGILE_BASE_URL?.trim() || !env.AGILE_API_BASE?.trim()) return base;
  return apiBase.endsWith('/dev/api') ? apiBase.slice(0, -'/dev/api'.length) : apiBase.replace(/^([a-z]+:\/\/[^/]+).*$/, '$1');
}
