import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { Principal } from '../auth/index.js';
import { MAX_BODY_DEPTH, nestsDeeperThan } from '../protocol/index.js';
import { A2aError, toJsonRpcError } from './errors.js';
import type { JsonRpcId } from './jsonrpc.js';
import { requestHeader } from './request-header.js';
import { negotiateVersion, type ProtocolVersion } from './versions.js';

/** What the transport checks leave on the context for the JSON-RPC handler. */
export interface RpcVariables {
  /** The parsed request body: one request or a batch. */
  rpcBody: unknown;
  a2aVersion: ProtocolVersion;
  idempotencyKey: string | undefined;
  /** The correlation id (correlation.ts). */
  requestId: string;
  /** The request's trace id, when the gateway traces (http/trace-context.ts): for the logs. */
  traceId: string | undefined;
  /** Who asks, set by the authentication middleware (anonymous when there is none). */
  caller: Principal;
  /** The `WWW-Authenticate` of a 403 for a missing scope, when authentication is on. */
  scopeChallenge: ((scope: string) => string) | undefined;
  /** Tells the security audit of a refusal decided after authentication. */
  deny: ((reason: string) => void) | undefined;
}

/** Node's request and response, when served by @hono/node-server (absent in `app.request`). */
export interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

export type RpcEnv = { Bindings: NodeBindings | undefined; Variables: RpcVariables };

/**
 * A JSON answer with the correlation id. Built as a plain Response with a plain header record:
 * through @hono/node-server that is written without a web `Headers` object.
 */
export function rpcJson(
  c: Context<RpcEnv>,
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json',
      'x-correlation-id': c.get('requestId'),
      ...(status === 413 ? { connection: 'close' } : {}),
      ...headers,
    },
  });
}

/** A JSON-RPC error answer; transport errors carry id null unless the body named one. */
export function rpcError(
  c: Context<RpcEnv>,
  error: A2aError,
  id: JsonRpcId = null,
  status = 200,
  headers: Record<string, string> = {},
) {
  return rpcJson(c, { jsonrpc: '2.0', id, error: toJsonRpcError(error).error }, status, headers);
}

/** §9.1: JSON-RPC bodies are JSON; anything else is ContentTypeNotSupportedError (-32005). */
export function requireJsonContentType(): MiddlewareHandler<RpcEnv> {
  return async function requireJsonContentType(c, next) {
    const contentType = requestHeader(c, 'content-type') ?? '';
    if (!/^application\/([\w.+-]*\+)?json\b/i.test(contentType.trim())) {
      const got = contentType ? contentType.slice(0, 100) : 'none';
      return rpcError(
        c,
        new A2aError(
          'CONTENT_TYPE_NOT_SUPPORTED',
          `Content-Type must be application/json, got ${got}`,
        ),
      );
    }
    await next();
  };
}

/**
 * Reads the body up to `maxBytes` and parses it: too large is HTTP 413 with -32600 (refused
 * before reading when Content-Length says so), not JSON is -32700, nested deeper than
 * `maxDepth` is -32600 before any schema recurses into it. Hono's `bodyLimit` works on the
 * web `Request`, which this path never builds: Node's request is read directly.
 */
export function readJsonBody(options: {
  maxBytes: number;
  maxDepth?: number;
}): MiddlewareHandler<RpcEnv> {
  const maxDepth = options.maxDepth ?? MAX_BODY_DEPTH;
  return async function readJsonBody(c, next) {
    const body = c.env?.incoming
      ? await readIncoming(c.env.incoming, options.maxBytes)
      : await readRequest(c.req.raw, options.maxBytes);
    if (body === undefined) {
      // The rest of the body is not read: the answer closes the connection rather than drain it.
      const message = `the request body exceeds ${options.maxBytes} bytes`;
      return rpcError(c, new A2aError('INVALID_REQUEST', message), null, 413);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return rpcError(c, new A2aError('PARSE_ERROR', 'Invalid JSON payload'));
    }
    if (nestsDeeperThan(parsed, maxDepth)) {
      const message = `the request nests JSON deeper than ${maxDepth} levels`;
      return rpcError(c, new A2aError('INVALID_REQUEST', message), idOf(parsed));
    }
    c.set('rpcBody', parsed);
    await next();
  };
}

/** §3.6: `A2A-Version` 1.0 speaks v1.0, none speaks 0.3, anything else is -32009. */
export function negotiateA2aVersion(): MiddlewareHandler<RpcEnv> {
  return async function negotiateA2aVersion(c, next) {
    const header = requestHeader(c, 'a2a-version');
    const version = negotiateVersion(header);
    if (!version) {
      const id = idOf(c.get('rpcBody'));
      const message = `A2A-Version ${header?.slice(0, 20)} is not supported; use 1.0 or 0.3`;
      return rpcError(c, new A2aError('VERSION_NOT_SUPPORTED', message), id);
    }
    c.set('a2aVersion', version);
    await next();
  };
}

/** `Idempotency-Key`: a retried SendMessage finds the task its first try created. */
export function checkIdempotencyKey(): MiddlewareHandler<RpcEnv> {
  return async function checkIdempotencyKey(c, next) {
    const key = requestHeader(c, 'idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > 255)) {
      return rpcError(
        c,
        new A2aError('INVALID_REQUEST', 'Idempotency-Key must be 1 to 255 characters'),
      );
    }
    c.set('idempotencyKey', key);
    await next();
  };
}

/** The request's id, when the body is one request naming one: transport errors echo it. */
function idOf(body: unknown): JsonRpcId {
  const id = (body as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** The body as text, or undefined when it is larger than `limit` bytes. */
function readIncoming(incoming: IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(incoming.headers['content-length'] ?? Number.NaN);
  if (declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: string | undefined, error?: unknown) => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError);
      if (error) reject(error);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        incoming.pause();
        done(undefined);
      } else chunks.push(chunk);
    };
    const onEnd = () => done(Buffer.concat(chunks, size).toString('utf8'));
    const onError = (error: unknown) => done(undefined, error);
    incoming.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

async function readRequest(request: Request, limit: number): Promise<string | undefined> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) {
    await request.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
