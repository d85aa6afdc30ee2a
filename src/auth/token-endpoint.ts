import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { authenticateClient } from './client-authentication.js';
import type { OAuthClients } from './oauth-clients.js';
import type { ReplayGuard } from './replay-guard.js';
import type { SigningKeyRing } from './signing-keys.js';

/** RFC 6749 §5.2. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope';

export interface TokenRequest {
  /** The form body (application/x-www-form-urlencoded). */
  form: URLSearchParams;
  /** The Authorization header, if any. */
  authorization?: string;
}

/** What to answer, and what to log: the answer itself names the error code and nothing more. */
export interface TokenResponse {
  status: 200 | 400 | 401;
  headers: Record<string, string>;
  body: Record<string, string | number>;
  log: { clientId?: string; error?: OAuthErrorCode; reason?: string; scope?: string };
}

export interface TokenEndpointOptions {
  clients: OAuthClients;
  keys: SigningKeyRing;
  /** `iss` of every token: the gateway's public base URL. */
  issuer: string;
  /** Where this endpoint answers: what a client assertion's `aud` names (or the issuer). */
  tokenEndpoint: string;
  /** `aud` of every token. */
  audience: string;
  tokenTtlS: number;
  replay: ReplayGuard;
  /** Tolerated clock difference for client assertions. Default 30 s. */
  clockSkewS?: number;
  now?: () => number;
}

/** The realm a 401 names (RFC 9110 §11.6.1 requires the challenge on every 401). */
const REALM = 'a2a-gateway';
// §5.1: tokens and errors alike must not be cached.
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/**
 * The token endpoint's logic for the client-credentials grant (RFC 6749 §4.4), free of HTTP:
 * form and Authorization header in, status, headers and JSON body out. Tokens are JWTs as
 * RFC 9068 profiles them, signed with the ring's active key.
 */
export function createTokenEndpoint(
  options: TokenEndpointOptions,
): (request: TokenRequest) => Promise<TokenResponse> {
  const now = options.now ?? Date.now;
  const authentication = {
    clients: options.clients,
    audiences: [options.tokenEndpoint, options.issuer],
    replay: options.replay,
    clockSkewS: options.clockSkewS ?? 30,
    now,
  };

  return async function token({ form, authorization }) {
    const fail = (error: OAuthErrorCode, reason: string, clientId?: string): TokenResponse => ({
      status: error === 'invalid_client' ? 401 : 400,
      headers: {
        ...NO_STORE,
        ...(error === 'invalid_client' ? { 'WWW-Authenticate': `Basic realm="${REALM}"` } : {}),
      },
      body: { error },
      log: { error, reason, ...(clientId ? { clientId } : {}) },
    });

    // §3.2: no parameter may appear twice.
    const repeated = [...new Set(form.keys())].find((key) => form.getAll(key).length > 1);
    if (repeated) return fail('invalid_request', `parameter ${repeated.slice(0, 64)} repeated`);
    const grantType = form.get('grant_type');
    if (!grantType) return fail('invalid_request', 'no grant_type');

    const authenticated = await authenticateClient(form, authorization, authentication);
    if (!authenticated.ok) return fail(authenticated.error, authenticated.reason);
    const { client } = authenticated;
    if (grantType !== 'client_credentials')
      return fail(
        'unsupported_grant_type',
        `grant_type ${grantType.slice(0, 64)}`,
        client.clientId,
      );

    const requested = form.get('scope') ?? '';
    if (requested !== '' && !SCOPE.test(requested))
      return fail('invalid_scope', 'malformed scope', client.clientId);
    const scopes = requested === '' ? client.scopes : [...new Set(requested.split(' '))];
    const refused = scopes.filter((scope) => !client.scopes.includes(scope));
    if (refused.length > 0)
      return fail(
        'invalid_scope',
        `not allowed: ${refused.join(' ').slice(0, 200)}`,
        client.clientId,
      );
    const scope = scopes.join(' ');

    const key = await options.keys.active();
    const issuedAt = Math.floor(now() / 1_000);
    const accessToken = await new SignJWT({
      scope,
      tenant: client.tenant,
      client_id: client.clientId,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(options.issuer)
      .setSubject(client.clientId)
      .setAudience(options.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + options.tokenTtlS)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return {
      status: 200,
      headers: { ...NO_STORE },
      body: {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: options.tokenTtlS,
        scope,
      },
      log: { clientId: client.clientId, scope },
    };
  };
}
