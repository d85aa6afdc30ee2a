import type { ApiKeyVerifier } from './api-keys.js';
import { type JwtVerifier, TokenRejectedError } from './jwt-verifier.js';
import { ANONYMOUS, type Principal } from './principal.js';

const REALM = 'a2a-gateway';

/** What a request presents: its `Authorization` header and its API key header. */
export interface Credentials {
  authorization?: string | undefined;
  apiKey?: string | undefined;
}

export type AuthResult =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      /** The `WWW-Authenticate` value (RFC 6750 §3 for bearer tokens). */
      challenge: string;
      /** Why, for the log only: clients learn no more than the challenge says. */
      reason: string;
    };

export interface Authenticator {
  /** False when nothing is configured: every caller is `anonymous` (loopback only). */
  readonly required: boolean;
  /** The header API keys come in, when API keys are on. */
  readonly apiKeyHeader: string | undefined;
  /** Bearer tokens are accepted. */
  readonly bearer: boolean;
  authenticate(credentials: Credentials): Promise<AuthResult>;
  /**
   * The caller of credentials accepted recently, without waiting (the common case: a client
   * sending the same token again); undefined when `authenticate` must decide.
   */
  peek(credentials: Credentials): Principal | undefined;
  /** The `WWW-Authenticate` of a 403: valid credentials without the scope `scope`. */
  insufficientScope(scope: string): string;
}

export interface AuthenticatorOptions {
  jwt?: JwtVerifier;
  apiKeys?: { verifier: ApiKeyVerifier; header: string };
}

/** Bearer JWTs and/or API keys; with neither, everyone is anonymous. */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { jwt, apiKeys } = options;
  const required = jwt !== undefined || apiKeys !== undefined;
  const bearerChallenge = (error?: string) =>
    `Bearer realm="${REALM}"${error ? `, error="${error}"` : ''}`;
  const keyChallenge = (error?: string) =>
    `ApiKey realm="${REALM}", header="${apiKeys?.header}"${error ? `, error="${error}"` : ''}`;
  const missing = [jwt ? bearerChallenge() : undefined, apiKeys ? keyChallenge() : undefined]
    .filter(Boolean)
    .join(', ');

  return {
    required,
    apiKeyHeader: apiKeys?.header,
    bearer: jwt !== undefined,
    peek({ authorization, apiKey }) {
      if (!required) return ANONYMOUS;
      if (jwt && authorization?.startsWith('Bearer ')) return jwt.peek(authorization.slice(7));
      if (apiKeys && apiKey !== undefined && authorization === undefined)
        return apiKeys.verifier.peek(apiKey);
      return undefined;
    },
    async authenticate({ authorization, apiKey }) {
      if (!required) return { ok: true, principal: ANONYMOUS };
      const bearer = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization ?? '');
      if (jwt && bearer) {
        try {
          return { ok: true, principal: await jwt.verify(bearer[1]!) };
        } catch (error) {
          if (!(error instanceof TokenRejectedError)) throw error;
          return { ok: false, challenge: bearerChallenge('invalid_token'), reason: error.message };
        }
      }
      if (apiKeys && apiKey !== undefined) {
        const principal = await apiKeys.verifier.verify(apiKey.trim());
        if (principal) return { ok: true, principal };
        return {
          ok: false,
          challenge: keyChallenge('invalid_key'),
          reason: 'unknown, malformed or revoked API key',
        };
      }
      const reason = authorization
        ? 'an Authorization header that is no bearer token this gateway accepts'
        : 'no credentials';
      return { ok: false, challenge: missing, reason };
    },
    insufficientScope(scope) {
      return jwt
        ? `${bearerChallenge('insufficient_scope')}, scope="${scope}"`
        : `${keyChallenge('insufficient_scope')}, scope="${scope}"`;
    },
  };
}
