/**
 * The sandbox's OpenID Connect signing: one key pair per sandbox (RS256 or ES256), published as a JWKS, and ID
 * tokens signed with it (OpenID Connect Core §2). `jose` does the JOSE work.
 *
 * A fault switch forges the next ID token in one of the ways a relying party must catch: a signature by another
 * key, another audience, another issuer, an expiry in the past.
 */
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import { randomToken } from '../shared/random';

export type IdTokenForgery = 'signature' | 'audience' | 'issuer' | 'expired';

export interface IdTokenClaims {
  issuer: string;
  audience: string;
  subject: string;
  email: string;
  name: string;
  nonce?: string;
  /** Seconds the token is valid. */
  ttl: number;
}

export interface IdTokenSigner {
  /** The public half, as `jwks_uri` serves it (RFC 7517). */
  jwks(): Promise<{ keys: JWK[] }>;
  sign(claims: IdTokenClaims, forgery?: IdTokenForgery | null): Promise<string>;
}

/** @example const signer = idTokenSigner('ES256'); const jwt = await signer.sign({ issuer, audience, … }); */
export function idTokenSigner(alg: 'RS256' | 'ES256'): IdTokenSigner {
  const kid = randomToken(8);
  const keys = generateKeyPair(alg, { extractable: true });
  // A second pair under the same kid: what an attacker without the provider's key would sign with.
  let impostor: Promise<{ privateKey: CryptoKey }> | null = null;
  return {
    async jwks() {
      const jwk = await exportJWK((await keys).publicKey);
      return { keys: [{ ...jwk, kid, alg, use: 'sig' }] };
    },
    async sign(claims, forgery) {
      const now = Math.floor(Date.now() / 1000);
      const key = forgery === 'signature' ? (await (impostor ??= generateKeyPair(alg))).privateKey : (await keys).privateKey;
      return new SignJWT({ email: claims.email, email_verified: true, name: claims.name, ...(claims.nonce ? { nonce: claims.nonce } : {}) })
        .setProtectedHeader({ alg, kid, typ: 'JWT' })
        .setIssuer(forgery === 'issuer' ? 'https://impostor.example' : claims.issuer)
        .setAudience(forgery === 'audience' ? 'another-client' : claims.audience)
        .setSubject(claims.subject)
        .setIssuedAt(forgery === 'expired' ? now - 3600 : now)
        .setExpirationTime(forgery === 'expired' ? now - 1800 : now + claims.ttl)
        .sign(key);
    },
  };
}
