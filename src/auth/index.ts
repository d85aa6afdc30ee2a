export {
  type ApiKeyRecord,
  type ApiKeyStore,
  type ApiKeyVerifier,
  createApiKeyVerifier,
  mintApiKey,
  type NewApiKey,
} from './api-keys.js';
export {
  type Authenticator,
  type AuthenticatorOptions,
  type AuthResult,
  type Credentials,
  createAuthenticator,
} from './authenticator.js';
export {
  type AuthorizationServer,
  type AuthorizationServerMetadata,
  type AuthorizationServerOptions,
  createAuthorizationServer,
  OAUTH_PATHS,
} from './authorization-server.js';
export {
  CLIENT_AUTH_METHODS,
  type ClientAuthMethod,
  JWT_BEARER_ASSERTION,
} from './client-authentication.js';
export {
  ASYMMETRIC_ALGORITHMS,
  createJwtVerifier,
  type IssuerConfig,
  IssuerConfigSchema,
  IssuersConfigSchema,
  type JwtVerifier,
  type JwtVerifierOptions,
  TokenRejectedError,
  type TrustedIssuer,
  trustedIssuers,
} from './jwt-verifier.js';
export { migrateAuthTables } from './migrations.js';
export {
  createSqlOAuthClients,
  InvalidOAuthClientError,
  type NewOAuthClient,
  type OAuthClient,
  type OAuthClients,
} from './oauth-clients.js';
export {
  ALL_SCOPES,
  ANONYMOUS,
  coversTenant,
  hasScope,
  type Principal,
  SCOPES,
  type Scope,
  tenantToRead,
} from './principal.js';
export { createRateLimiter, type RateLimiter } from './rate-limiter.js';
export { createReplayGuard, type ReplayGuard } from './replay-guard.js';
export {
  ACCESS_DENIED,
  type AccessDenied,
  AccessDeniedSchema,
  createDenialRecorder,
  type Denial,
  type DenialRecorder,
  registerSecurityEvents,
  SECURITY_STREAM,
} from './security-events.js';
export { SIGNING_ALGORITHMS, type SigningAlgorithm } from './signing-key-material.js';
export {
  type ActiveSigningKey,
  createSigningKeyRing,
  type SigningKeyInfo,
  type SigningKeyRing,
  type SigningKeyRingOptions,
} from './signing-keys.js';
export { apiKeysChannel, createSqlApiKeyStore } from './sql-api-keys.js';
export {
  createTokenEndpoint,
  type OAuthErrorCode,
  type TokenEndpointOptions,
  type TokenRequest,
  type TokenResponse,
} from './token-endpoint.js';
