import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type JWK,
} from 'jose';

/** Algorithms the gateway generates signing keys for (`SIGNING_KEY_ALG`). */
export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** One key pair as the ring keeps it: JWKs, so it round-trips through a jsonb column. */
export interface KeyMaterial {
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  alg: string;
  privateJwk: JWK;
  /** The public members only, with `kid`, `alg` and `use`: what the JWKS publishes. */
  publicJwk: JWK;
}

// A file may hold any key jose signs with; these are the defaults when its JWK names no `alg`.
const EC_ALGORITHMS: Record<string, string> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
};
/** Node names curves as OpenSSL does. */
const OPENSSL_CURVES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
};

export async function generateKeyMaterial(alg: SigningAlgorithm): Promise<KeyMaterial> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return materialOf(await exportJWK(privateKey), alg);
}

/**
 * The key in `SIGNING_KEY_FILE`: a PEM PKCS#8 private key, or a private JWK (alone or the one
 * key of a JWKS). Throws, naming the file, when it holds no private key we can sign with.
 */
export async function readKeyFile(path: string): Promise<KeyMaterial> {
  const text = await readFile(path, 'utf8');
  try {
    if (text.includes('-----BEGIN')) return await fromPem(text);
    const parsed = JSON.parse(text) as JWK & { keys?: JWK[] };
    const jwk = parsed.keys?.length === 1 ? parsed.keys[0]! : parsed;
    if (typeof jwk.d !== 'string') throw new Error('the JWK holds no private key (no "d")');
    const alg = jwk.alg ?? defaultAlgorithm(jwk.kty, jwk.crv);
    // Proves now, not at the first token, that jose can sign with it.
    await importJWK(jwk, alg);
    return await materialOf(jwk, alg);
  } catch (error) {
    throw new Error(`SIGNING_KEY_FILE ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function fromPem(pem: string): Promise<KeyMaterial> {
  // node:crypto only tells the key's type, which importPKCS8 needs to be told.
  const key = createPrivateKey(pem);
  const type = key.asymmetricKeyType;
  const kty = type === 'ec' ? 'EC' : type === 'ed25519' ? 'OKP' : type === 'rsa' ? 'RSA' : type;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const crv = type === 'ed25519' ? 'Ed25519' : curve && (OPENSSL_CURVES[curve] ?? curve);
  const alg = defaultAlgorithm(kty, crv);
  const imported = await importPKCS8(pem, alg, { extractable: true });
  return materialOf(await exportJWK(imported), alg);
}

/** The JWS algorithm a key is meant for when its JWK does not say. */
export function defaultAlgorithm(kty: string | undefined, crv: string | undefined): string {
  if (kty === 'EC' && crv && EC_ALGORITHMS[crv]) return EC_ALGORITHMS[crv];
  if (kty === 'OKP' && crv === 'Ed25519') return 'EdDSA';
  if (kty === 'RSA') return 'RS256';
  throw new Error(`unsupported key type ${kty ?? '?'}${crv ? ` ${crv}` : ''}`);
}

async function materialOf(privateJwk: JWK, alg: string): Promise<KeyMaterial> {
  const members = PUBLIC_MEMBERS[privateJwk.kty ?? ''];
  if (!members) throw new Error(`unsupported key type ${privateJwk.kty ?? '?'}`);
  const publicOnly = Object.fromEntries(
    members.map((name) => [name, (privateJwk as Record<string, unknown>)[name]]),
  ) as JWK;
  const kid = await calculateJwkThumbprint(publicOnly, 'sha256');
  return {
    kid,
    alg,
    privateJwk: { ...privateJwk, kid, alg },
    publicJwk: { ...publicOnly, kid, alg, use: 'sig' },
  };
}
