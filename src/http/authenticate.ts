import type { Context, MiddlewareHandler } from 'hono';
import { A2A_ERROR_CODES, type RpcEnv } from '../a2a/index.js';
import { ANONYMOUS, type Authenticator, hasScope, type Principal } from '../auth/index.js';
import type { Logger } from '../observability/index.js';

/** How a refused request is answered: as JSON-RPC (id null: the body is not read) or plain. */
export type AuthAnswer = 'json-rpc' | 'json';

export interface AuthenticationOptions {
  authenticator: Authenticator;
  logger: Logger;
  /** Told of every refusal (the security audit), after the answer is decided. */
  onDenied?: (denial: Denial) => void;
}

export interface Denial {
  kind: 'unauthenticated' | 'forbidden';
  principal: string;
  reason: string;
  path: string;
  remoteAddress: string | undefined;
}

/**
 * Authenticates before anything else of the request is read: an unauthenticated caller costs
 * no body parse. A refusal is HTTP 401 with a `WWW-Authenticate` challenge; which check failed
 * goes to the log, not to the client.
 */
export function authenticate(
  options: AuthenticationOptions,
  answer: AuthAnswer,
): MiddlewareHandler<RpcEnv> {
  const { authenticator, logger } = options;
  const scopeChallenge = authenticator.required
    ? (scope: string) => authenticator.insufficientScope(scope)
    : undefined;
  return async function authenticateRequest(c, next) {
    const header = authenticator.apiKeyHeader;
    const result = await authenticator.authenticate({
      authorization: c.req.header('authorization'),
      apiKey: header ? c.req.header(header) : undefined,
    });
    if (result.ok) {
      c.set('caller', result.principal);
      c.set('scopeChallenge', scopeChallenge);
      return next();
    }
    const denial: Denial = {
      kind: 'unauthenticated',
      principal: 'anonymous',
      reason: result.reason,
      path: c.req.path,
      remoteAddress: c.env?.incoming?.socket.remoteAddress,
    };
    logger.info('authentication failed', { ...denial });
    options.onDenied?.(denial);
    const message = 'authentication required: present valid credentials';
    const body =
      answer === 'json-rpc'
        ? {
            jsonrpc: '2.0',
            id: null,
            error: {
              code: A2A_ERROR_CODES.UNAUTHENTICATED,
              message,
              data: [
                {
                  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                  reason: 'UNAUTHENTICATED',
                  domain: 'a2a-gateway',
                },
              ],
            },
          }
        : { error: 'unauthenticated', message };
    return new Response(JSON.stringify(body), {
      status: 401,
      headers: {
        'content-type': 'application/json',
        'www-authenticate': result.challenge,
        'x-correlation-id': c.get('requestId'),
        'cache-control': 'no-store',
      },
    });
  };
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
  const challenge = c.get('scopeChallenge')?.(scope);
  return new Response(
    JSON.stringify({ error: 'forbidden', message: `this route needs the scope ${scope}` }),
    {
      status: 403,
      headers: {
        'content-type': 'application/json',
        'x-correlation-id': c.get('requestId'),
        ...(challenge ? { 'www-authenticate': challenge } : {}),
      },
    },
  );
}
