/**
 * OAuth mode: the upstream (Agile CRM, or any standard OAuth 2.0 server) is the authorization server; the relay
 * only adds the client credentials the extension must never hold, at endpoints fixed by configuration.
 *
 * - `GET /authorize` checks the request and redirects to the upstream authorize endpoint, unchanged.
 * - `POST /token` forwards authorization_code and refresh_token grants with client authentication.
 * - `POST /revoke` forwards RFC 7009 revocation the same way.
 */
import { Hono, type Context } from 'hono';
import { AgileDomainError, fillDomain, templateNeedsDomain } from '../shared/agile-domain';
import type { OAuthMode, RelayConfig } from './config';
import { oauthError } from './middleware/oauth-error';
import { authorizeErrorPage } from './pages';
import { readAuthorizeRequest, readTokenRequest, RevokeRequest, S256_CHALLENGE } from './requests';
import { readForm } from './middleware/form-body';

export interface UpstreamDeps {
  fetch: typeof fetch;
}

/** Resolves a configured URL template for the account's domain; throws AgileDomainError on a bad domain. */
function endpoint(template: string, domain: string | undefined): string {
  if (!templateNeedsDomain(template)) return template;
  if (!domain) throw new AgileDomainError('Set your Agile CRM domain in the extension’s options, then sign in again.');
  return fillDomain(template, domain);
}

function clientAuthentication(mode: OAuthMode, body: URLSearchParams): Headers {
  const headers = new Headers({ 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' });
  if (mode.clientAuth === 'client_secret_basic') {
    // RFC 6749 §2.3.1: form-encode id and secret before Basic-encoding them.
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    headers.set('Authorization', `Basic ${btoa(`${encode(mode.clientId)}:${encode(mode.clientSecret)}`)}`);
  } else {
    body.set('client_id', mode.clientId);
    body.set('client_secret', mode.clientSecret);
  }
  return headers;
}

/** Calls the configured upstream endpoint and hands its answer back; the body is relayed only when it is JSON. */
async function callUpstream(c: Context, deps: UpstreamDeps, mode: OAuthMode, timeoutMs: number, url: string, body: URLSearchParams, extra: Record<string, string>) {
  const headers = clientAuthentication(mode, body);
  let response: Response;
  try {
    response = await deps.fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return oauthError(c, 502, 'temporarily_unavailable', 'Agile CRM’s sign-in service did not answer. Try again in a moment.');
  }
  const text = await response.text();
  if (!text) return c.body(null, response.status === 200 ? 200 : 502, { 'Cache-Control': 'no-store' });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return oauthError(c, 502, 'server_error', `Agile CRM’s sign-in service answered ${response.status} without JSON.`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    return oauthError(c, 502, 'server_error', 'Agile CRM’s sign-in service answered with something other than a JSON object.');
  }
  // The relay is a gateway: an upstream failure is a 502, whatever code the upstream used.
  const status = response.status >= 200 && response.status < 500 ? response.status : 502;
  const payload = response.ok ? { ...json, ...extra } : json;
  return new Response(JSON.stringify(payload), { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
}

export function oauthProxyRoutes(config: RelayConfig, mode: OAuthMode, deps: UpstreamDeps): Hono {
  const app = new Hono();

  app.get('/authorize', (c) => {
    const request = readAuthorizeRequest(c);
    // Until client and redirect URI are verified, errors are shown, never redirected (RFC 6749 §4.1.2.1).
    if (!request || request.client_id !== mode.clientId) {
      return c.html(authorizeErrorPage('This sign-in link names an application the relay does not serve.'));
    }
    if (!config.allowedRedirectUris.includes(request.redirect_uri)) {
      return c.html(authorizeErrorPage('The redirect address is not one the relay allows.'));
    }
    const back = new URL(request.redirect_uri);
    const fail = (error: string, description: string) => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      if (request.state !== undefined) back.searchParams.set('state', request.state);
      return c.redirect(back.href, 302);
    };
    if (request.response_type !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported.');
    if (request.code_challenge_method !== 'S256' || !S256_CHALLENGE.test(request.code_challenge ?? '')) {
      return fail('invalid_request', 'PKCE with code_challenge_method=S256 is required.');
    }
    let upstream: URL;
    try {
      upstream = new URL(endpoint(mode.authorizeUrl, request.domain));
    } catch (error) {
      return fail('invalid_request', error instanceof AgileDomainError ? error.message : 'Bad Agile CRM domain.');
    }
    const { domain: _domain, ...params } = request;
    for (const [key, value] of Object.entries(params)) if (value !== undefined) upstream.searchParams.set(key, value);
    return c.redirect(upstream.href, 302);
  });

  app.post('/token', async (c) => {
    const request = await readTokenRequest(c, config.allowedRedirectUris);
    if (request instanceof Response) return request;
    let tokenUrl: string;
    let apiBase: string;
    let webBase: string;
    try {
      tokenUrl = endpoint(mode.tokenUrl, request.domain);
      apiBase = endpoint(mode.apiBase, request.domain);
      webBase = endpoint(mode.webBase, request.domain);
    } catch (error) {
      return oauthError(c, 400, 'invalid_request', error instanceof Error ? error.message : 'Bad Agile CRM domain.');
    }
    const body = new URLSearchParams({ grant_type: request.grant_type });
    if (request.grant_type === 'authorization_code') {
      body.set('code', request.code);
      body.set('code_verifier', request.code_verifier);
      body.set('redirect_uri', request.redirect_uri);
    } else {
      body.set('refresh_token', request.refresh_token);
    }
    return callUpstream(c, deps, mode, config.upstreamTimeoutMs, tokenUrl, body, { agile_api_base: apiBase, agile_web_base: webBase });
  });

  app.post('/revoke', async (c) => {
    const form = await readForm(c, RevokeRequest);
    if (!form.ok) return oauthError(c, 400, 'invalid_request', form.description);
    let revokeUrl: string;
    try {
      revokeUrl = endpoint(mode.revokeUrl, form.value.domain);
    } catch (error) {
      return oauthError(c, 400, 'invalid_request', error instanceof Error ? error.message : 'Bad Agile CRM domain.');
    }
    const body = new URLSearchParams({ token: form.value.token });
    if (form.value.token_type_hint) body.set('token_type_hint', form.value.token_type_hint);
    return callUpstream(c, deps, mode, config.upstreamTimeoutMs, revokeUrl, body, {});
  });

  return app;
}
