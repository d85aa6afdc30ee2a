import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { z } from 'zod';
import type { Principal } from './principal.js';

/**
 * Algorithms a trusted issuer may sign with: public-key ones only. Neither `none` nor an HMAC
 * algorithm can be configured, so a token "signed" with an issuer's public key as an HMAC
 * secret (algorithm confusion) never verifies.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** One entry of `AUTH_ISSUERS`. */
export const IssuerConfigSchema = z
  .strictObject({
    /** The `iss` its tokens carry. */
    issuer: z.string().min(1),
    /** The `aud` a token must name (one of them, if several). */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** Where its keys are published; fetched on first use and again for an unknown `kid`. */
    jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Or a JWKS file on disk, read once at start-up. */
    jwksFile: z.string().min(1).optional(),
    algorithms: z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1).default(['RS256', 'ES256', 'EdDSA']),
    /** The claim holding the caller's tenant; a token without it belongs to the default tenant. */
    tenantClaim: z.string().min(1).default('tenant'),
  })
  .refine((issuer) => (issuer.jwksUrl === undefined) !== (issuer.jwksFile === undefined), {
    message: 'give exactly one of jwksUrl and jwksFile',
  });
export type IssuerConfig = z.infer<typeof IssuerConfigSchema>;
export const IssuersConfigSchema = z.array(IssuerConfigSchema);

/** An issuer whose tokens the gateway accepts, with the way to find its keys. */
export interface TrustedIssuer {
  issuer: string;
  audience: string | string[];
  algorithms: readonly string[];
  tenantClaim: string;
  keys: JWTVerifyGetKey;
}

export interface JwtVerifierOptions {
  /** Tolerated clock difference for `exp` and `nbf`. */
  clockSkewS?: number;
  /** Longest a verified token is remembered (never past its `exp`). */
  cacheMs?: number;
  /** Tokens remembered at most. */
  cacheSize?: number;
  now?: () => number;
}

/** Why a token was refused: for the log, never for the client. */
export class TokenRejectedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TokenRejectedError';
  }
}

export interface JwtVerifier {
  /** The caller a valid token names; throws TokenRejectedError otherwise. */
  verify(token: string): Promise<Principal>;
  /** The caller of a token verified recently and still valid, without waiting; else undefined. */
  peek(token: string): Principal | undefined;
}

/**
 * Verifies bearer JWTs against the trusted issuers: signature with an allowed algorithm,
 * `iss`, `aud`, `exp` (required) and `nbf` with a small clock skew, and a `sub`. Verified
 * tokens are remembered briefly so a busy caller is not verified on every request; an entry
 * never outlives the token's `exp` nor `cacheMs`, so a key withdrawn by its issuer stops
 * working within `cacheMs`.
 */
export function createJwtVerifier(
  issuers: readonly TrustedIssuer[],
  options: JwtVerifierOptions = {},
): JwtVerifier {
  const byIssuer = new Map(issuers.map((issuer) => [issuer.issuer, issuer]));
  const clockSkewS = options.clockSkewS ?? 30;
  const cacheMs = options.cacheMs ?? 60_000;
  const cacheSize = options.cacheSize ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { principal: Principal; until: number }>();

  async function verifyUncached(token: string): Promise<{ principal: Principal; exp: number }> {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw new TokenRejectedError('not a JWT');
    }
    const trusted = typeof claims.iss === 'string' ? byIssuer.get(claims.iss) : undefined;
    if (!trusted) throw new TokenRejectedError(`untrusted issuer ${String(claims.iss)}`);
    try {
      const { payload } = await jwtVerify(token, trusted.keys, {
        issuer: trusted.issuer,
        audience: trusted.audience,
        algorithms: [...trusted.algorithms],
        clockTolerance: clockSkewS,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now()),
      });
      return { principal: toPrincipal(payload, trusted.tenantClaim), exp: payload.exp! };
    } catch (error) {
      if (error instanceof TokenRejectedError) throw error;
      if (error instanceof errors.JOSEError)
        throw new TokenRejectedError(`${error.code}: ${error.message}`);
      throw error;
    }
  }

  function peek(token: string): Principal | undefined {
    const hit = cache.get(token);
    if (hit && now() < hit.until) return hit.principal;
    return undefined;
  }

  return {
    peek,
    async verify(token) {
      const at = now();
      const known = peek(token);
      if (known) return known;
      cache.delete(token);
      const { principal, exp } = await verifyUncached(token);
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(token, { principal, until: Math.min(exp * 1000, at + cacheMs) });
      return principal;
    },
  };
}

function toPrincipal(payload: JWTPayload, tenantClaim: string): Principal {
  const tenant = payload[tenantClaim];
  if (tenant !== undefined && typeof tenant !== 'string')
    throw new TokenRejectedError(`claim ${tenantClaim} is not a string`);
  return {
    name: payload.sub!,
    tenant: tenant ?? '',
    scopes: new Set(scopesOf(payload)),
    via: 'jwt',
  };
}

/** `scope` (space-separated, RFC 8693/9068) or `scp` (a list, as some issuers send). */
function scopesOf(payload: JWTPayload): string[] {
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((item): item is string => typeof item === 'string');
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  return [];
}

/** The issuers of `AUTH_ISSUERS`, their keys fetched (remote) or read (file). */
export async function trustedIssuers(configs: readonly IssuerConfig[]): Promise<TrustedIssuer[]> {
  return Promise.all(
    configs.map(async (config) => ({
      issuer: config.issuer,
      audience: config.audience,
      algorithms: config.algorithms,
      tenantClaim: config.tenantClaim,
      keys: config.jwksUrl
        ? // An unknown kid refetches the set, at most once per cooldown: a flood of made-up
          // kids cannot turn into a flood of requests to the issuer.
          createRemoteJWKSet(new URL(config.jwksUrl), {
            cooldownDuration: 30_000,
            cacheMaxAge: 600_000,
            timeoutDuration: 5_000,
          })
        : createLocalJWKSet(await readJwksFile(config.jwksFile!)),
    })),
  );
}

async function readJwksFile(path: string): Promise<JSONWebKeySet> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as JSONWebKeySet;
  if (!Array.isArray(parsed?.keys)) throw new Error(`${path}: not a JWKS (no "keys" list)`);
  return parsed;
}
