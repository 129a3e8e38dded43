import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** RFC 6749 §5.2 and RFC 7009 §2.2.1 error codes, plus the two the relay adds for its own failures. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_token_type'
  | 'invalid_token'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable';

/**
 * An OAuth-style JSON error, never cached.
 *
 * @example return oauthError(c, 400, 'unsupported_grant_type', 'Use authorization_code or refresh_token.');
 */
export function oauthError(c: Context, status: ContentfulStatusCode, error: OAuthErrorCode, description: string) {
  c.header('Cache-Control', 'no-store');
  return c.json({ error, error_description: description }, status);
}
