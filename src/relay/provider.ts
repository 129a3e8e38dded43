/**
 * OAuth mode's provider: its endpoints, issuer and keys, from the relay's variables and — for whatever they leave
 * out — from the provider's own metadata, found from `OAUTH_ISSUER` by RFC 8414 (`/.well-known/oauth-authorization-server`)
 * and then OpenID Connect Discovery 1.0 (`/.well-known/openid-configuration`; see `wellKnownPlaces`). oauth4webapi
 * checks the document (its `issuer` must be the one configured).
 *
 * The Node listener resolves the provider before it listens and refuses to start on any problem; a Worker has no
 * start-up hook, so it resolves on its first request and keeps the answer (worker.ts).
 */
import * as oauth from 'oauth4webapi';
import { isSecureUrl } from '../shared/loopback';
import type { ClientAuthMethod, OAuthMode } from './config';

export interface Provider {
  /** The issuer identifier as the provider states it; null for a provider known by its endpoints alone. */
  issuer: string | null;
  /** Endpoint URLs; configured ones may be `{domain}` templates. */
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** Null when the provider offers no revocation (RFC 7009): signing out then only forgets the tokens. */
  revocationEndpoint: string | null;
  /** The provider's JWK Set, for ID-token signatures; null when it issues none. */
  jwksUri: string | null;
  /** RFC 9207: the provider names itself as `iss` in every authorization response. */
  issParameterSupported: boolean;
  clientAuth: ClientAuthMethod;
  /** `id_token_signing_alg_values_supported`, when the metadata lists it (oauth4webapi expects RS256 otherwise). */
  idTokenSigningAlgs: string[] | null;
}

export interface DiscoveryDeps {
  fetch: typeof fetch;
  timeoutMs: number;
}

/** Whether the configured variables leave something only the provider's metadata can say. */
export function needsDiscovery(mode: OAuthMode): boolean {
  const needsKeys = mode.scope.includes('openid') && mode.jwksUri === null;
  return mode.issuer !== null && (!mode.authorizeUrl || !mode.tokenUrl || !mode.revokeUrl || needsKeys);
}

/**
 * The provider from the variables alone, when they say everything (an Agile-style provider, or every endpoint
 * set); null when discovery is needed.
 */
export function configuredProvider(mode: OAuthMode): Provider | null {
  if (needsDiscovery(mode) || !mode.authorizeUrl || !mode.tokenUrl) return null;
  return {
    issuer: mode.issuer,
    authorizationEndpoint: mode.authorizeUrl,
    tokenEndpoint: mode.tokenUrl,
    revocationEndpoint: mode.revokeUrl,
    jwksUri: mode.jwksUri,
    issParameterSupported: false,
    clientAuth: mode.clientAuth ?? 'client_secret_basic',
    idTokenSigningAlgs: null,
  };
}

const describe = (error: unknown): string => {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
  if (error instanceof Error) return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
  return String(error);
};

/**
 * Resolves the provider: the configured variables, completed by discovery when `OAUTH_ISSUER` is set and they
 * leave something out. Never throws; returns every problem as a sentence that names the variable to fix.
 *
 * @example const { provider, problems } = await resolveProvider(config.mode, { fetch, timeoutMs: 8000 });
 */
export async function resolveProvider(mode: OAuthMode, deps: DiscoveryDeps): Promise<{ provider: Provider | null; problems: string[] }> {
  const configured = configuredProvider(mode);
  if (configured) return { provider: configured, problems: [] };
  if (mode.issuer === null) return { provider: null, problems: [] };
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(mode.issuer);
  } catch {
    return { provider: null, problems: [] }; // already reported by the configuration
  }
  // An issuer the configuration refused (plain http off loopback, a query) is not asked anything.
  if (!isSecureUrl(issuerUrl) || issuerUrl.search || issuerUrl.hash) return { provider: null, problems: [] };

  const tried: string[] = [];
  let metadata: oauth.AuthorizationServer | null = null;
  for (const place of wellKnownPlaces(issuerUrl)) {
    let response: Response;
    try {
      response = await deps.fetch(place, { headers: { Accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(deps.timeoutMs) });
    } catch (error) {
      tried.push(`${place}: ${describe(error)}`);
      continue;
    }
    try {
      metadata = await oauth.processDiscoveryResponse(issuerUrl, response);
      break;
    } catch (error) {
      if (error instanceof oauth.OperationProcessingError && error.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
        const named = (error.cause as { body?: { issuer?: unknown } } | undefined)?.body?.issuer;
        return {
          provider: null,
          problems: [`OAUTH_ISSUER is ${mode.issuer}, but the provider's metadata at ${place} names its issuer ${String(named)}: set OAUTH_ISSUER=${String(named)} exactly.`],
        };
      }
      tried.push(`${place}: ${response.status === 200 ? describe(error) : `HTTP ${response.status}`}`);
    }
  }
  if (!metadata) {
    return {
      provider: null,
      problems: [`OAUTH_ISSUER ${mode.issuer}: the provider's metadata could not be read (${tried.join('; ')}). Check OAUTH_ISSUER, or set OAUTH_AUTHORIZE_URL, OAUTH_TOKEN_URL and OAUTH_REVOKE_URL for a provider without discovery.`],
    };
  }

  const problems: string[] = [];
  const from = (configuredUrl: string | null, field: keyof oauth.AuthorizationServer, variable: string, required: boolean): string | null => {
    if (configuredUrl) return configuredUrl;
    const value = metadata[field];
    if (typeof value !== 'string' || !value) {
      if (required) problems.push(`The provider's metadata (OAUTH_ISSUER ${mode.issuer}) has no ${field}: set ${variable}.`);
      return null;
    }
    try {
      if (isSecureUrl(new URL(value))) return value;
    } catch {
      // reported below
    }
    problems.push(`The provider's metadata gives ${field} ${value}, which is not an https URL: set ${variable}.`);
    return null;
  };
  const authorizationEndpoint = from(mode.authorizeUrl, 'authorization_endpoint', 'OAUTH_AUTHORIZE_URL', true);
  const tokenEndpoint = from(mode.tokenUrl, 'token_endpoint', 'OAUTH_TOKEN_URL', true);
  const revocationEndpoint = from(mode.revokeUrl, 'revocation_endpoint', 'OAUTH_REVOKE_URL', false);
  const jwksUri = from(mode.jwksUri, 'jwks_uri', 'OAUTH_JWKS_URI', mode.scope.includes('openid'));

  const challenges = metadata.code_challenge_methods_supported;
  if (Array.isArray(challenges) && !challenges.includes('S256')) {
    problems.push(`The provider's metadata lists PKCE methods ${challenges.join(', ')} but not S256, which the extension always uses.`);
  }
  // RFC 8414 §2: a provider that lists no method takes client_secret_basic.
  const methods = Array.isArray(metadata.token_endpoint_auth_methods_supported) ? metadata.token_endpoint_auth_methods_supported : ['client_secret_basic'];
  const clientAuth = mode.clientAuth ?? (['client_secret_basic', 'client_secret_post'] as const).find((method) => methods.includes(method)) ?? null;
  if (!clientAuth || !methods.includes(clientAuth)) {
    problems.push(`The provider takes client authentication by ${methods.join(', ')}; the relay can use client_secret_basic or client_secret_post${mode.clientAuth ? ` (OAUTH_CLIENT_AUTH is ${mode.clientAuth})` : ''}.`);
  }
  if (problems.length > 0 || !authorizationEndpoint || !tokenEndpoint || !clientAuth) return { provider: null, problems };
  return {
    provider: {
      issuer: metadata.issuer,
      authorizationEndpoint,
      tokenEndpoint,
      revocationEndpoint,
      jwksUri,
      issParameterSupported: metadata.authorization_response_iss_parameter_supported === true,
      clientAuth,
      idTokenSigningAlgs: Array.isArray(metadata.id_token_signing_alg_values_supported) ? metadata.id_token_signing_alg_values_supported : null,
    },
    problems: [],
  };
}

/**
 * Where a provider may publish its metadata, in the order asked: RFC 8414 §3.1 (`/.well-known/oauth-authorization-server`
 * inserted before the issuer's path), OpenID Connect Discovery 1.0 §4 (`/.well-known/openid-configuration` appended
 * to it) and, for an issuer with a path, RFC 8414 §5's form of the latter (inserted, as some multi-tenant providers
 * serve it). Each document is then checked to name exactly this issuer.
 *
 * @example wellKnownPlaces(new URL('https://login.example.com/tenant'))
 * // ['https://login.example.com/.well-known/oauth-authorization-server/tenant',
 * //  'https://login.example.com/tenant/.well-known/openid-configuration',
 * //  'https://login.example.com/.well-known/openid-configuration/tenant']
 */
export function wellKnownPlaces(issuer: URL): string[] {
  const path = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/$/, '');
  return [
    `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
    `${issuer.origin}${path}/.well-known/openid-configuration`,
    ...(path ? [`${issuer.origin}/.well-known/openid-configuration${path}`] : []),
  ];
}
