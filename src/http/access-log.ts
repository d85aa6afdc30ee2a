import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { type RpcEnv, requestHeader } from '../a2a/index.js';
import type { Logger } from '../observability/index.js';

/** One answered request, as metrics count it. */
export interface AnsweredRequest {
  method: string;
  /** The matched route's pattern (`/:tenant/agents/echo`), `unmatched` for a 404 of no route. */
  route: string;
  status: number;
  seconds: number;
}

export interface AccessLogOptions {
  logger: Logger;
  /** Told of every answered request (the HTTP metrics). */
  onAnswered?: (request: AnsweredRequest) => void;
}

/** Requests no route matched: the app's notFound marks them (`markUnmatched`). */
const unmatched = new WeakSet<Context>();

/** Marks the request as matched by no route: counted under `unmatched`, not a pattern. */
export function markUnmatched(c: Context): void {
  unmatched.add(c);
}

/**
 * One line per request once its answer starts (an SSE stream: when its headers go; the
 * answer's headers are not read, which would cost a web `Headers` object each): method,
 * path (no query: it may carry credentials), status, duration, a request id of its own, the
 * correlation id, who asked and, for JSON-RPC, which method. Debug adds what a person tracing
 * a problem needs: the batch, the task ids named, body size, how the caller authenticated.
 * Bodies are never logged.
 */
export function accessLog(options: AccessLogOptions): MiddlewareHandler<RpcEnv> {
  const { logger, onAnswered } = options;
  return async function accessLog(c, next) {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1_000;
    const status = c.res.status;
    const route = unmatched.has(c) ? 'unmatched' : routePattern(c.req.routePath);
    onAnswered?.({ method: c.req.method, route, status, seconds });
    // Under LOG_LEVEL=warn (benchmarks, quiet deployments) most requests write no line at all.
    if (status < 500 && logger.enabled?.('info') === false) return;

    const caller = c.get('caller');
    const urlTenant = c.req.param('tenant' as never) as string | undefined;
    const tenant = caller?.tenant ?? urlTenant;
    const calls = rpcCalls(c.get('rpcBody'));
    const traceId = (c.var as Record<string, unknown>).traceId;
    const fields: Record<string, unknown> = {
      requestId: randomUUID(),
      correlationId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Math.round(seconds * 1_000_000) / 1_000,
      ...(typeof traceId === 'string' ? { traceId } : {}),
      ...(tenant !== undefined && tenant !== null ? { tenant } : {}),
      ...(caller ? { principal: caller.name } : {}),
      ...(calls ? { rpcMethod: calls.methods.join(',') } : {}),
    };
    if (status >= 500) logger.warn('request', fields);
    else logger.info('request', fields);
    if (logger.enabled?.('debug') === false) return;
    logger.debug('request detail', {
      requestId: fields.requestId,
      correlationId: fields.correlationId,
      route,
      ...(caller ? { auth: caller.via, scopes: [...caller.scopes] } : {}),
      ...(calls ? { batch: calls.batch, taskIds: calls.taskIds } : {}),
      bodyBytes: requestHeader(c, 'content-length'),
      a2aVersion: requestHeader(c, 'a2a-version'),
      idempotencyKey: requestHeader(c, 'idempotency-key') !== undefined,
      userAgent: requestHeader(c, 'user-agent'),
      remoteAddress: c.env?.incoming?.socket.remoteAddress,
    });
  };
}

/** `/:tenant{[A-Za-z0-9]...}/agents/echo` → `/:tenant/agents/echo`: a label, not a regex. */
function routePattern(path: string): string {
  return path.replace(/\{[^/]*\}/g, '');
}

interface RpcCalls {
  methods: string[];
  /** Calls in a batch; undefined for a single call. */
  batch?: number;
  taskIds: string[];
}

/** What a JSON-RPC body asks for, without its content: methods and the task ids it names. */
function rpcCalls(body: unknown): RpcCalls | undefined {
  if (body === undefined) return undefined;
  const items = Array.isArray(body) ? body : [body];
  const methods = new Set<string>();
  const taskIds = new Set<string>();
  for (const item of items) {
    const call = item as { method?: unknown; params?: Record<string, unknown> } | null;
    if (typeof call?.method === 'string') methods.add(call.method.slice(0, 64));
    const params = call?.params;
    if (typeof params !== 'object' || params === null) continue;
    const message = params.message as { taskId?: unknown } | undefined;
    for (const id of [params.id, params.taskId, message?.taskId])
      if (typeof id === 'string') taskIds.add(id.slice(0, 128));
  }
  return {
    methods: [...methods],
    ...(Array.isArray(body) ? { batch: body.length } : {}),
    taskIds: [...taskIds],
  };
}
