/**
 * The requests the extension sends the relay, validated where they enter. Both modes (OAuth proxy and API-key
 * bridge) accept exactly these shapes.
 */
import type { Context } from 'hono';
import * as v from 'valibot';
import { readForm } from './middleware/form-body';
import { oauthError } from './middleware/oauth-error';

const Token = v.pipe(v.string(), v.minLength(1, 'is required'), v.maxLength(4096, 'is too long'));
/** RFC 7636 §4.1: 43–128 characters from the unreserved set. */
const Verifier = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._~-]{43,128}$/, 'must be a RFC 7636 code_verifier'));
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

/** The query of `GET /authorize`, checked in RFC 6749 §4.1.2.1's order by the caller. */
export function readAuthorizeRequest(c: Context): AuthorizeRequest | null {
  const parsed = v.safeParse(AuthorizeRequest, c.req.query());
  return parsed.success ? parsed.output : null;
}

export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
