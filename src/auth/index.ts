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
export {
  ALL_SCOPES,
  ANONYMOUS,
  hasScope,
  type Principal,
  SCOPES,
  type Scope,
} from './principal.js';
export { createRateLimiter, type RateLimiter } from './rate-limiter.js';
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
export { apiKeysChannel, createSqlApiKeyStore } from './sql-api-keys.js';
