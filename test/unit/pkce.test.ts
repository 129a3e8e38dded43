import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { s256, timingSafeEqual } from '../../src/shared/random';

describe('PKCE S256 (RFC 7636)', () => {
  it('matches the RFC 7636 Appendix B example on the servers’ side', async () => {
    expect(await s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('agrees with the client side (oauth4webapi) for fresh verifiers', async () => {
    for (let i = 0; i < 20; i++) {
      const verifier = oauth.generateRandomCodeVerifier();
      expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
      expect(await s256(verifier)).toBe(await oauth.calculatePKCECodeChallenge(verifier));
    }
  });

  it('states are one-time random values', () => {
    const states = new Set(Array.from({ length: 100 }, () => oauth.generateRandomState()));
    expect(states.size).toBe(100);
  });

  it('compares secrets in constant shape', () => {
    expect(timingSafeEqual('secret', 'secret')).toBe(true);
    expect(timingSafeEqual('secret', 'secreT')).toBe(false);
    expect(timingSafeEqual('secret', 'secret-longer')).toBe(false);
    expect(timingSafeEqual('', '')).toBe(true);
  });
});
