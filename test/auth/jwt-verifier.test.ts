import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createJwtVerifier, TokenRejectedError } from '../../src/auth/index.js';

describe('JWT verifier cache', () => {
  it('remembers a verified token, never past its exp nor past cacheMs', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const keys = createLocalJWKSet({
      keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }],
    });
    let now = Date.now();
    const verifier = createJwtVerifier(
      [
        {
          issuer: 'https://idp/',
          audience: 'gw',
          algorithms: ['ES256'],
          tenantClaim: 'tenant',
          keys,
        },
      ],
      { clockSkewS: 0, cacheMs: 60_000, now: () => now },
    );
    const exp = Math.floor(now / 1000) + 10;
    const token = await new SignJWT({ sub: 'a', scope: 'a2a:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer('https://idp/')
      .setAudience('gw')
      .setExpirationTime(exp)
      .sign(privateKey);
    expect(verifier.peek(token)).toBeUndefined();
    const principal = await verifier.verify(token);
    expect(principal).toMatchObject({ name: 'a', tenant: '', via: 'jwt' });
    expect(verifier.peek(token)).toBe(principal);
    now = exp * 1000 + 1;
    expect(verifier.peek(token)).toBeUndefined();
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(TokenRejectedError);
  });
});
