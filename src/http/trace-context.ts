import type { MiddlewareHandler } from 'hono';
import { type RpcEnv, requestHeader } from '../a2a/index.js';
import {
  contextFromTraceparent,
  failSpan,
  SpanKind,
  SpanStatusCode,
  type Tracing,
} from '../observability/index.js';

/**
 * A server span per request, child of the caller's W3C `traceparent` (and `tracestate`) when
 * it sent a valid one, active while the request is handled: the events the request causes
 * store it (`metadata.traceparent`), the runs and upstream calls continue it. Sets `traceId`
 * on the context for the access log. Mounted only when the gateway traces.
 *
 * The span ends when the answer's head is ready: an SSE stream outlives it.
 */
export function traceContext(tracing: Tracing): MiddlewareHandler<RpcEnv> {
  return async function traceContext(c, next) {
    const parent = contextFromTraceparent(
      requestHeader(c, 'traceparent'),
      requestHeader(c, 'tracestate'),
    );
    const method = c.req.method;
    const span = tracing.startSpan(method, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': method, 'url.path': c.req.path },
      parent,
    });
    c.set('traceId', span.spanContext().traceId);
    try {
      await tracing.activate(span, parent, next);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      const route = c.req.routePath;
      if (route && route !== '/*') {
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
      }
      const rpcMethod = rpcMethodOf(c.get('rpcBody'));
      if (rpcMethod) {
        span.setAttributes({ 'rpc.system': 'jsonrpc', 'rpc.method': rpcMethod });
      }
      const status = c.res.status;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}

/** The JSON-RPC method of a single call, `batch` for a batch; undefined before parsing. */
function rpcMethodOf(body: unknown): string | undefined {
  if (Array.isArray(body)) return 'batch';
  const method = (body as { method?: unknown } | null | undefined)?.method;
  return typeof method === 'string' ? method.slice(0, 100) : undefined;
}
