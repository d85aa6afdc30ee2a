import type { SqlClient } from '../store/index.js';
import { CLIENT_AUTH_METHODS } from './client-authentication.js';
import { ASYMMETRIC_ALGORITHMS, type TrustedIssuer } from './jwt-verifier.js';
import { createSqlOAuthClients, type OAuthClients } from './oauth-clients.js';
import { ALL_SCOPES } from './principal.js';
import { createReplayGuard } from './replay-guard.js';
import type { SigningAlgorithm } from './signing-key-material.js';
import { createSigningKeyRing, type SigningKeyRing } from './signing-keys.js';
import { createTokenEndpoint, type TokenRequest, type TokenResponse } from './token-endpoint.js';

/** Where the HTTP layer serves the authorization server, relative to the issuer. */
export const OAUTH_PATHS = {
  token: '/oauth/token',
  jwks: '/.well-known/jwks.json',
  /** RFC 8414 §3, for an issuer without a path. */
  metadata: '/.well-known/oauth-authorization-server',
} as const;

export interface AuthorizationServerOptions {
  /** The gateway's database (the same as the events'): replicas share clients and keys. */
  client: SqlClient;
  schema: string;
  /** The gateway's public base URL: `iss` of its tokens. */
  issuer: string;
  /** `aud` of its tokens (`AUTH_AUDIENCE`). */
  audience: string;
  /** `AUTH_TOKEN_TTL_S`. */
  tokenTtlS: number;
  /** `SIGNING_KEY_FILE`. */
  signingKeyFile?: string;
  /** `SIGNING_KEY_ALG`, for keys the ring generates. */
  algorithm?: SigningAlgorithm;
  /** `AUTH_CLOCK_SKEW_S`, for client assertions. Default 30. */
  clockSkewS?: number;
  now?: () => number;
}

/** RFC 8414 §2. */
export interface AuthorizationServerMetadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  token_endpoint_auth_signing_alg_values_supported: string[];
  scopes_supported: string[];
  response_types_supported: string[];
}

export interface AuthorizationServer {
  issuer: string;
  keys: SigningKeyRing;
  clients: OAuthClients;
  /** `POST /oauth/token`, without HTTP. */
  token(request: TokenRequest): Promise<TokenResponse>;
  metadata: AuthorizationServerMetadata;
  /**
   * Its tokens as the gateway's JWT verifier trusts them, keys straight from the ring (no
   * HTTP): `createGatewayAuthenticator(config, views, [server.trustedIssuer])`.
   */
  trustedIssuer: TrustedIssuer;
}

/**
 * The built-in OAuth 2.0 authorization server (`AUTH_SERVER=true`): its tables migrated, its
 * first signing key made if there is none. Mount its routes with `mountOAuthRoutes` (http/).
 */
export async function createAuthorizationServer(
  options: AuthorizationServerOptions,
): Promise<AuthorizationServer> {
  const issuer = new URL(options.issuer).href.replace(/\/+$/, '');
  const keys = await createSigningKeyRing({
    client: options.client,
    schema: options.schema,
    maxLifetimeS: options.tokenTtlS,
    ...(options.algorithm ? { algorithm: options.algorithm } : {}),
    ...(options.signingKeyFile ? { keyFile: options.signingKeyFile } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const clients = await createSqlOAuthClients(options.client, options.schema);
  const metadata: AuthorizationServerMetadata = {
    issuer,
    token_endpoint: `${issuer}${OAUTH_PATHS.token}`,
    jwks_uri: `${issuer}${OAUTH_PATHS.jwks}`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGORITHMS],
    scopes_supported: [...ALL_SCOPES],
    // No authorization endpoint: client credentials need none.
    response_types_supported: [],
  };
  const token = createTokenEndpoint({
    clients,
    keys,
    issuer,
    tokenEndpoint: metadata.token_endpoint,
    audience: options.audience,
    tokenTtlS: options.tokenTtlS,
    replay: createReplayGuard(options.now ? { now: options.now } : {}),
    ...(options.clockSkewS !== undefined ? { clockSkewS: options.clockSkewS } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const trustedIssuer: TrustedIssuer = {
    issuer,
    audience: options.audience,
    // The ring's getKey matches a token's alg to its key's: any public-key algorithm is safe.
    algorithms: ASYMMETRIC_ALGORITHMS,
    tenantClaim: 'tenant',
    keys: (header) => keys.getKey(header),
  };
  return { issuer, keys, clients, token, metadata, trustedIssuer };
}
