/**
 * The syntax of the OAuth values that cross between the extension, the relay and the sandbox, checked the same way
 * by each. Regular expressions of one character class each: linear on any input.
 */

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` — printable ASCII without space, `"` or `\`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** A request parameter's name as the relay accepts one to configure and forward (RFC 6749 Appendix A's names are of this form). */
export const PARAMETER_NAME = /^[A-Za-z0-9._-]+$/;

/** RFC 7636 §4.1: `code-verifier = 43*128unreserved`. */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** RFC 7636 §4.2: an S256 `code_challenge`, BASE64URL(SHA-256(verifier)) without padding — 43 characters. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
