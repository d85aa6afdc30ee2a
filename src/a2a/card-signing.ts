import {
  base64url,
  type CryptoKey,
  decodeProtectedHeader,
  FlattenedSign,
  flattenedVerify,
  type JWK,
  type JWSHeaderParameters,
  type KeyObject,
} from 'jose';
import type { AgentCard, AgentCardSignature } from '../protocol/index.js';
import { canonicalCardPayload } from './card-canonical.js';

/** A private key that signs cards, named as the JWKS that publishes its public half names it. */
export interface CardSigningKey {
  kid: string;
  /** A JWS algorithm the key fits: `ES256`, `EdDSA`, `RS256`, … */
  alg: string;
  privateKey: CryptoKey | KeyObject;
}

/**
 * Signs a card as served, for the base URL it was built with (PUBLIC_URL, or the request's
 * Host): what the card routes and GetExtendedAgentCard call, once per card they keep.
 */
export type CardSigner = (card: AgentCard, baseUrl: string) => Promise<AgentCardSignature>;

/**
 * A detached JWS over the card's canonical form (§8.4.2): the protected header holds `alg`,
 * `kid`, `typ: "JOSE"` and, when given, `jku` (where the public key is published); the payload
 * is not sent, the verifier rebuilds it from the card.
 *
 * @example
 * const card = publicCard(agent, baseUrl);
 * const signed = { ...card, signatures: [await signCard(card, key, { jku })] };
 */
export async function signCard(
  card: AgentCard,
  key: CardSigningKey,
  options: { jku?: string } = {},
): Promise<AgentCardSignature> {
  const payload = new TextEncoder().encode(canonicalCardPayload(card));
  const header = {
    alg: key.alg,
    typ: 'JOSE',
    kid: key.kid,
    ...(options.jku ? { jku: options.jku } : {}),
  };
  const jws = await new FlattenedSign(payload).setProtectedHeader(header).sign(key.privateKey);
  return { protected: jws.protected!, signature: jws.signature };
}

/**
 * A signer with one key. `jku` may follow the base URL, since a gateway without PUBLIC_URL
 * is reached under several.
 *
 * @example
 * createCardSigner(key, { jku: (base) => `${base}/.well-known/jwks.json` })
 */
export function createCardSigner(
  key: CardSigningKey,
  options: { jku?: string | ((baseUrl: string) => string) } = {},
): CardSigner {
  const { jku } = options;
  return (card, baseUrl) =>
    signCard(
      card,
      key,
      jku === undefined ? {} : { jku: typeof jku === 'string' ? jku : jku(baseUrl) },
    );
}

/** Finds the public key for a signature's protected header (its `kid`, `alg`, `jku`). */
export type CardKeyResolver = (header: JWSHeaderParameters) => Promise<CryptoKey | KeyObject | JWK>;

/** One signature's outcome: which key verified it, or why it did not verify. */
export type SignatureCheck = { kid?: string; jku?: string } & (
  | { verified: true }
  | { verified: false; reason: string }
);

/**
 * Checks every signature of `card` (§8.4.3), in order. A card without signatures gives an
 * empty list: whether that is acceptable is the caller's call.
 */
export async function verifyCard(card: object, getKey: CardKeyResolver): Promise<SignatureCheck[]> {
  const signatures = (card as { signatures?: unknown }).signatures;
  if (!Array.isArray(signatures)) return [];
  const payload = base64url.encode(canonicalCardPayload(card));
  return Promise.all(
    signatures.map(async (signature: AgentCardSignature): Promise<SignatureCheck> => {
      let header: JWSHeaderParameters;
      try {
        header = decodeProtectedHeader(signature) as JWSHeaderParameters;
      } catch (error) {
        return { verified: false, reason: `unreadable protected header: ${messageOf(error)}` };
      }
      const named = {
        ...(header.kid ? { kid: header.kid } : {}),
        ...(header.jku ? { jku: header.jku } : {}),
      };
      // §8.4.2: the protected header MUST name the algorithm and the key.
      if (!header.alg || !header.kid)
        return { ...named, verified: false, reason: 'the protected header lacks alg or kid' };
      try {
        const key = await getKey(header);
        await flattenedVerify({ ...signature, payload }, key);
        return { ...named, verified: true };
      } catch (error) {
        return { ...named, verified: false, reason: messageOf(error) };
      }
    }),
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
