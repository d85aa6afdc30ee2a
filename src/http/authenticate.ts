import type { Context, MiddlewareHandler } from 'hono';
import { A2aError, type RpcEnv, requestHeader, rpcError, rpcJson } from '../a2a/index.js';
import {
  ANONYMOUS,
  type Authenticator,
  type AuthResult,
  type DenialRecorder,
  hasScope,
  type Principal,
  type RateLimiter,
} from '../auth/index.js';
import type { Logger } from '../observability/index.js';

/** How a refused request is answered: as JSON-RPC (id null: the body is not read) or plain. */
export type AuthAnswer = 'json-rpc' | 'json';

export interface AuthenticationOptions {
  authenticator: Authenticator;
  logger: Logger;
  /** The security audit: every refusal, rate-limited. */
  denials?: DenialRecorder;
  /** Calls per principal; over the limit is 429 with Retry-After. */
  rateLimiter?: RateLimiter;
}

/**
 * Authenticates before anything else of the request is read: an unauthenticated caller costs
 * no body parse. A refusal is HTTP 401 with a `WWW-Authenticate` challenge; which check failed
 * goes to the log and the security audit, not to the client. An authenticated caller over
 * its rate is 429 with `Retry-After`.
 */
export function authenticate(
  options: AuthenticationOptions,
  answer: AuthAnswer,
): MiddlewareHandler<RpcEnv> {
  const { authenticator, logger, denials, rateLimiter } = options;
  const scopeChallenge = authenticator.required
    ? (scope: string) => authenticator.insufficientScope(scope)
    : undefined;
  return async function authenticateRequest(c, next) {
    const header = authenticator.apiKeyHeader;
    const credentials = {
      authorization: requestHeader(c, 'authorization'),
      apiKey: header ? requestHeader(c, header) : undefined,
    };
    const known = authenticator.peek(credentials);
    const result: AuthResult = known
      ? { ok: true, principal: known }
      : await authenticator.authenticate(credentials);
    const remoteAddress = c.env?.incoming?.socket.remoteAddress;
    const where = { path: c.req.path, ...(remoteAddress ? { remoteAddress } : {}) };
    if (!result.ok) {
      const denial = {
        kind: 'unauthenticated' as const,
        principal: 'anonymous',
        reason: result.reason,
        ...where,
      };
      logger.info('authentication failed', denial);
      denials?.record(denial);
      return refuse(
        c,
        answer,
        401,
        'UNAUTHENTICATED',
        'authentication required: present valid credentials',
        {
          'www-authenticate': result.challenge,
        },
      );
    }
    const { principal } = result;
    const wait = rateLimiter?.retryAfterS(principal) ?? 0;
    if (wait > 0) {
      return refuse(c, answer, 429, 'RATE_LIMITED', `too many requests: retry in ${wait} s`, {
        'retry-after': String(wait),
      });
    }
    c.set('caller', principal);
    c.set('scopeChallenge', scopeChallenge);
    if (authenticator.required) {
      c.set('deny', (reason: string) => {
        const denial = { kind: 'forbidden' as const, principal: principal.name, reason, ...where };
        logger.info('request refused', denial);
        denials?.record({ ...denial, ...(principal.tenant ? { tenant: principal.tenant } : {}) });
      });
    }
    return next();
  };
}

function refuse(
  c: Context<RpcEnv>,
  answer: AuthAnswer,
  status: 401 | 429,
  reason: 'UNAUTHENTICATED' | 'RATE_LIMITED',
  message: string,
  headers: Record<string, string>,
): Response {
  const answered = { 'cache-control': 'no-store', ...headers };
  return answer === 'json-rpc'
    ? rpcError(c, new A2aError(reason, message), null, status, answered)
    : rpcJson(c, { error: reason.toLowerCase(), message }, status, answered);
}

/** No authentication configured: every caller is anonymous. */
export const anyone: MiddlewareHandler<RpcEnv> = async (_c, next) => {
  await next();
};

/** The caller the middleware settled (anonymous on routes it does not guard). */
export function callerOf(c: Context<RpcEnv>): Principal {
  return c.get('caller') ?? ANONYMOUS;
}

/** A plain-JSON 403 for a caller without `scope`, or undefined when it has it. */
export function requireScope(c: Context<RpcEnv>, scope: string): Response | undefined {
  if (hasScope(callerOf(c), scope)) return undefined;
  c.get('deny')?.(`missing scope ${scope}`);
  const challenge = c.get('scopeChallenge')?.(scope);
  return rpcJson(
    c,
    { error: 'forbidden', message: `this route needs the scope ${scope}` },
    403,
    challenge ? { 'www-authenticate': challenge } : {},
  );
}
