/**
 * The requests the extension sends the relay, validated where they enter. Both modes (OAuth proxy and API-key
 * bridge) accept exactly these shapes.
 */
import type { Context } from 'hono';
import * as v from 'valibot';
import { CODE_VERIFIER, S256_CHALLENGE } from '../shared/oauth-syntax';
import { readForm } from './middleware/form-body';
import { oauthError } from './middleware/oauth-error';
import { authorizeErrorPage } from './pages';

const Token = v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(4096, 'is too long'));
/** RFC 7636 §4.1: 43–128 characters from the unreserved set. */
const Verifier = v.pipe(v.string(), v.regex(CODE_VERIFIER, 'must be a RFC 7636 code_verifier'));
const Domain = v.optional(v.pipe(v.string(), v.maxLength(253, 'is too long')));

export const CodeGrant = v.object({
  grant_type: v.literal('authorization_code'),
  code: Token,
  code_verifier: Verifier,
  redirect_uri: v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(2048, 'is too long')),
  client_id: v.optional(v.string()),
  domain: Domain,
});

export const RefreshGrant = v.object({
  grant_type: v.literal('refresh_token'),
  refresh_token: Token,
  client_id: v.optional(v.string()),
  domain: Domain,
});

export const RevokeRequest = v.object({
  token: Token,
  token_type_hint: v.optional(v.picklist(['access_token', 'refresh_token'])),
  client_id: v.optional(v.string()),
  domain: Domain,
});

export const AuthorizeRequest = v.object({
  response_type: v.string(),
  client_id: v.string(),
  redirect_uri: v.string(),
  state: v.optional(v.pipe(v.string(), v.maxLength(512))),
  code_challenge: v.optional(v.string()),
  code_challenge_method: v.optional(v.string()),
  scope: v.optional(v.pipe(v.string(), v.maxLength(512))),
  /** OpenID Connect Core §3.1.2.1: `none` for the extension's silent re-authentication. */
  prompt: v.optional(v.pipe(v.string(), v.maxLength(128))),
  domain: v.optional(v.pipe(v.string(), v.maxLength(253))),
});
export type AuthorizeRequest = v.InferOutput<typeof AuthorizeRequest>;

export type TokenRequest = v.InferOutput<typeof CodeGrant> | v.InferOutput<typeof RefreshGrant>;

/**
 * Reads a token request: 400 `unsupported_grant_type` for other grants, 400 `invalid_request` for malformed
 * parameters and for a redirect URI that is not on the relay's list.
 */
export async function readTokenRequest(c: Context, allowedRedirectUris: readonly string[]): Promise<TokenRequest | Response> {
  const form = await readForm(c, v.object({ grant_type: v.string('is required') }));
  if (!form.ok) return oauthError(c, 400, 'invalid_request', form.description);
  const grant = form.value.grant_type;
  if (grant !== 'authorization_code' && grant !== 'refresh_token') {
    return oauthError(c, 400, 'unsupported_grant_type', 'The relay accepts authorization_code and refresh_token.');
  }
  const parsed = await readForm(c, grant === 'authorization_code' ? CodeGrant : RefreshGrant);
  if (!parsed.ok) return oauthError(c, 400, 'invalid_request', parsed.description);
  const request = parsed.value;
  if (request.grant_type === 'authorization_code' && !allowedRedirectUris.includes(request.redirect_uri)) {
    return oauthError(c, 400, 'invalid_request', 'redirect_uri is not one the relay allows.');
  }
  return request;
}

/**
 * A checked authorization request, and how to answer it with an error: back at its verified redirect URI. Or the
 * answer already decided: a page when the client or the redirect URI is not verified, else that error redirect.
 */
export type AuthorizeCheck =
  | { ok: true; request: AuthorizeRequest; fail(error: string, description: string): Response }
  | { ok: false; answer: Response | Promise<Response> };

/**
 * Reads `GET /authorize` and checks it in RFC 6749 §4.1.2.1's order: until the client and the redirect URI are
 * verified, an error is shown on a page, never redirected; after that it goes back to the redirect
 * URI with `state` (and `iss`, RFC 9207, when the relay names itself). Then `response_type=code` and PKCE S256
 * (RFC 7636) are required.
 */
export function checkAuthorizeRequest(c: Context, clientId: string, allowedRedirectUris: readonly string[], iss?: string): AuthorizeCheck {
  const parsed = v.safeParse(AuthorizeRequest, c.req.query());
  if (!parsed.success || parsed.output.client_id !== clientId) {
    return { ok: false, answer: c.html(authorizeErrorPage('This sign-in link names an application the relay does not serve.')) };
  }
  const request = parsed.output;
  if (!allowedRedirectUris.includes(request.redirect_uri)) return { ok: false, answer: c.html(authorizeErrorPage('The redirect address is not one the relay allows.')) };
  const fail = (error: string, description: string) => {
    const back = new URL(request.redirect_uri);
    back.searchParams.set('error', error);
    back.searchParams.set('error_description', description);
    if (request.state !== undefined) back.searchParams.set('state', request.state);
    if (iss !== undefined) back.searchParams.set('iss', iss);
    return c.redirect(back.href, 302);
  };
  if (request.response_type !== 'code') return { ok: false, answer: fail('unsupported_response_type', 'Only response_type=code is supported.') };
  if (request.code_challenge_method !== 'S256' || !S256_CHALLENGE.test(request.code_challenge ?? '')) {
    return { ok: false, answer: fail('invalid_request', 'PKCE with code_challenge_method=S256 is required.') };
  }
  return { ok: true, request, fail };
}

