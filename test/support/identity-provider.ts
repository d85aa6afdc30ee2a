import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from 'jose';

/**
 * A stand-in identity provider on loopback: publishes a JWKS and mints tokens with `jose`,
 * good ones and every kind of bad one the gateway must refuse.
 */
export interface IdentityProvider {
  issuer: string;
  jwksUrl: string;
  /** `AUTH_ISSUERS` for a gateway that trusts this provider's ES256 tokens for AUDIENCE. */
  authIssuers: string;
  /** How often the JWKS was fetched (a refresh for an unknown kid shows here). */
  fetches(): number;
  token(claims?: JWTPayload, options?: TokenOptions): Promise<string>;
  /** `alg: none`. */
  unsigned(claims?: JWTPayload): string;
  /** HS256 with the published public key (PEM) as the secret: algorithm confusion. */
  hmacWithPublicKey(claims?: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

export interface TokenOptions {
  /** Signed by a key that is not published, under the published kid. */
  foreignKey?: boolean;
  /** A kid the JWKS does not hold. */
  kid?: string;
  expiresIn?: string | number;
  notBefore?: string | number;
  issuer?: string;
  audience?: string;
}

export const AUDIENCE = 'a2a-gateway';

export async function startIdentityProvider(): Promise<IdentityProvider> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const foreign = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
  let fetches = 0;
  const server: Server = createServer((request, response) => {
    if (request.url === '/jwks.json') {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/`;
  const claimsOf = (claims: JWTPayload): JWTPayload => ({
    sub: 'agent-a',
    tenant: 'acme',
    scope: 'a2a:send a2a:read a2a:cancel',
    ...claims,
  });

  const jwksUrl = `${base}/jwks.json`;
  return {
    issuer,
    jwksUrl,
    authIssuers: JSON.stringify([{ issuer, audience: AUDIENCE, jwksUrl, algorithms: ['ES256'] }]),
    fetches: () => fetches,
    async token(claims = {}, options = {}) {
      const jwt = new SignJWT(claimsOf(claims))
        .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'key-1' })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m');
      if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
      return jwt.sign(options.foreignKey ? foreign.privateKey : privateKey);
    },
    unsigned(claims = {}) {
      return new UnsecuredJWT(claimsOf(claims))
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('5m')
        .encode();
    },
    async hmacWithPublicKey(claims = {}) {
      const secret = new TextEncoder().encode(await exportSPKI(publicKey));
      return new SignJWT(claimsOf(claims))
        .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(secret);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
