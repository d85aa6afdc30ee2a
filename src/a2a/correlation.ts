import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { requestHeader } from './request-header.js';
import type { RpcEnv } from './rpc-transport.js';

const CORRELATION_ID = /^[\w.:=-]{1,128}$/;

/**
 * Gives every request a correlation id (`c.get('requestId')`), stored with the events the
 * request causes: the caller's own `X-Correlation-Id` (or `X-Request-Id`) when it is a plain
 * token, else a new UUID. Unlike Hono's request-id middleware it sets no response header:
 * that builds a `Headers` object per request, a tenth of a GetTask's cost. JSON-RPC answers
 * carry the header themselves; `echoCorrelationId` adds it on the other routes.
 */
export function correlationId(): MiddlewareHandler<RpcEnv> {
  return async function correlationId(c, next) {
    const given = requestHeader(c, 'x-correlation-id') ?? requestHeader(c, 'x-request-id');
    c.set('requestId', given && CORRELATION_ID.test(given) ? given : randomUUID());
    await next();
  };
}

/** Returns the request's correlation id in the `X-Correlation-Id` response header. */
export function echoCorrelationId(): MiddlewareHandler<RpcEnv> {
  return async function echoCorrelationId(c, next) {
    c.header('X-Correlation-Id', c.get('requestId'));
    await next();
  };
}
