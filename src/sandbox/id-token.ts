/**
 * The sandbox's OpenID Connect signing: one key pair per sandbox (RS256 or ES256), published as a JWKS, and ID
 * tokens signed with it (OpenID Connect Core §2) — or, with HS256, a MAC keyed with the client's secret (§10.1),
 * as some providers issue. `jose` does the JOSE work.
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

export type IdTokenAlg = 'RS256' | 'ES256' | 'HS256';

/**
 * @example const signer = idTokenSigner('ES256', secretOf); const jwt = await signer.sign({ issuer, audience, … });
 * `secretOf` gives a client's secret (HS256 only).
 */
export function idTokenSigner(alg: IdTokenAlg, secretOf: (clientId: string) => string): IdTokenSigner {
  const kid = randomToken(8);
  const mac = alg === 'HS256';
  const keys = mac ? null : generateKeyPair(alg, { extractable: true });
  // A second pair under the same kid: what an attacker without the provider's key would sign with.
  let impostor: Promise<{ privateKey: CryptoKey }> | null = null;
  const keyFor = async (audience: string, forged: boolean): Promise<CryptoKey | Uint8Array> => {
    if (mac) return new TextEncoder().encode(forged ? `not ${secretOf(audience)}` : secretOf(audience));
    return forged ? (await (impostor ??= generateKeyPair(alg))).privateKey : (await keys!).privateKey;
  };
  return {
    async jwks() {
      if (!keys) return { keys: [] };
      const jwk = await exportJWK((await keys).publicKey);
      return { keys: [{ ...jwk, kid, alg, use: 'sig' }] };
    },
    async sign(claims, forgery) {
      const now = Math.floor(Date.now() / 1000);
      const key = await keyFor(claims.audience, forgery === 'signature');
      return new SignJWT({ email: claims.email, email_verified: true, name: claims.name, ...(claims.nonce ? { nonce: claims.nonce } : {}) })
        .setProtectedHeader(mac ? { alg, typ: 'JWT' } : { alg, kid, typ: 'JWT' })
        .setIssuer(forgery === 'issuer' ? 'https://impostor.example' : claims.issuer)
        .setAudience(forgery === 'audience' ? 'another-client' : claims.audience)
        .setSubject(claims.subject)
        .setIssuedAt(forgery === 'expired' ? now - 3600 : now)
        .setExpirationTime(forgery === 'expired' ? now - 1800 : now + claims.ttl)
        .sign(key);
    },
  };
}
