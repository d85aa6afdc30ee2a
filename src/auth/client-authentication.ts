import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from './jwt-verifier.js';
import type { OAuthClient, OAuthClients } from './oauth-clients.js';
import type { ReplayGuard } from './replay-guard.js';

export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A client assertion must expire within this of now: one request's worth, not a credential. */
const MAX_ASSERTION_LIFETIME_S = 300;

export type ClientAuthentication =
  | { ok: true; client: OAuthClient; method: ClientAuthMethod }
  | {
      ok: false;
      error: 'invalid_request' | 'invalid_client';
      /** For the server log only. */
      reason: string;
    };

export interface ClientAuthenticationOptions {
  clients: OAuthClients;
  /** What an assertion's `aud` may name: the token endpoint's URL, the issuer. */
  audiences: readonly string[];
  replay: ReplayGuard;
  /** Tolerated clock difference for an assertion's `exp` and `nbf`. */
  clockSkewS: number;
  now: () => number;
}

const refuse = (reason: string, error: 'invalid_request' | 'invalid_client' = 'invalid_client') =>
  ({ ok: false, error, reason }) as const;

/** RFC 6749 §2.3: exactly one way of proving who the client is, per request. */
export async function authenticateClient(
  form: URLSearchParams,
  authorization: string | undefined,
  options: ClientAuthenticationOptions,
): Promise<ClientAuthentication> {
  const used = [
    authorization !== undefined,
    form.has('client_secret'),
    form.has('client_assertion') || form.has('client_assertion_type'),
  ].filter(Boolean).length;
  if (used > 1) return refuse('more than one client authentication method', 'invalid_request');
  if (used === 0) return refuse('no client authentication (public clients are not supported)');

  const outcome =
    authorization !== undefined
      ? await basic(authorization, options.clients)
      : form.has('client_secret')
        ? await post(form, options.clients)
        : await assertion(form, options);
  // A client_id beside other credentials must name the same client (§3.2.1).
  const named = form.get('client_id');
  if (outcome.ok && named !== null && named !== outcome.client.clientId)
    return refuse('client_id does not match the credentials');
  return outcome;
}

async function basic(header: string, clients: OAuthClients): Promise<ClientAuthentication> {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match) return refuse('Authorization is not Basic credentials');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return refuse('Basic credentials without a colon');
  // §2.3.1: id and secret are form-urlencoded before they are joined.
  const id = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (id === undefined || secret === undefined) return refuse('Basic credentials badly encoded');
  const client = await clients.authenticate(id, secret);
  return client
    ? { ok: true, client, method: 'client_secret_basic' }
    : refuse(`wrong secret or no such client: ${id.slice(0, 128)}`);
}

async function post(form: URLSearchParams, clients: OAuthClients): Promise<ClientAuthentication> {
  const id = form.get('client_id');
  if (!id) return refuse('client_secret without client_id', 'invalid_request');
  const client = await clients.authenticate(id, form.get('client_secret')!);
  return client
    ? { ok: true, client, method: 'client_secret_post' }
    : refuse(`wrong secret or no such client: ${id.slice(0, 128)}`);
}

/** RFC 7523 §3 (and §2.2 for its use as client authentication). */
async function assertion(
  form: URLSearchParams,
  options: ClientAuthenticationOptions,
): Promise<ClientAuthentication> {
  const jwt = form.get('client_assertion');
  if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION)
    return refuse('unsupported client_assertion_type');
  if (!jwt) return refuse('client_assertion_type without client_assertion', 'invalid_request');
  let issuer: unknown;
  try {
    issuer = decodeJwt(jwt).iss;
  } catch {
    return refuse('client_assertion is not a JWT');
  }
  if (typeof issuer !== 'string') return refuse('client_assertion has no iss');
  const client = await options.clients.get(issuer);
  if (!client?.jwks) return refuse(`no client with registered keys: ${issuer.slice(0, 128)}`);

  let exp: number;
  let jti: string;
  try {
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(client.jwks), {
      // Public-key algorithms only: the client's registered keys are public, so no HMAC.
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      issuer: client.clientId,
      subject: client.clientId,
      audience: [...options.audiences],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: options.clockSkewS,
      currentDate: new Date(options.now()),
    });
    exp = payload.exp!;
    jti = String(payload.jti);
  } catch (error) {
    return refuse(`client_assertion of ${client.clientId}: ${(error as Error).message}`);
  }
  if (exp * 1_000 > options.now() + (MAX_ASSERTION_LIFETIME_S + options.clockSkewS) * 1_000)
    return refuse(`client_assertion of ${client.clientId} expires too late`);
  // Recorded only once the signature holds: nobody else can fill the guard for a client.
  // ...and until jose would stop accepting it: past `exp` by the clock tolerance.
  const until = (exp + options.clockSkewS) * 1_000;
  const seen = options.replay.remember(`${client.clientId} ${jti}`, until);
  if (seen !== 'new') return refuse(`client_assertion of ${client.clientId}: jti ${seen}`);
  return { ok: true, client, method: 'private_key_jwt' };
}

function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
