import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { type RpcEnv, requestHeader } from '../a2a/index.js';

export interface CorsOptions {
  /** Origins allowed to call from a browser, exactly as they send them, or `*` for any. */
  origins: '*' | readonly string[];
  /** The configured API key header, allowed in requests beside the standard ones. */
  apiKeyHeader?: string;
}

/**
 * Cross-origin requests from browsers (off unless CORS_ORIGINS is set). A preflight
 * (`OPTIONS`) is answered here, before authentication: it carries no credentials. A refused
 * origin gets no `Access-Control-Allow-Origin`, so the browser stops the call. No cookies are
 * used, so credentials mode is never allowed (and `*` stays valid).
 *
 * Other requests get their CORS headers on Node's response directly: SSE streams are written
 * there (Hono's headers never reach them), and the JSON answers build no web `Headers` for it.
 */
export function corsPolicy(options: CorsOptions): MiddlewareHandler<RpcEnv> {
  const allowed = options.origins === '*' ? undefined : new Set(options.origins);
  const allowHeaders = [
    'Content-Type',
    'Authorization',
    'A2A-Version',
    'A2A-Extensions',
    'Idempotency-Key',
    'X-API-Key',
    ...(options.apiKeyHeader && options.apiKeyHeader.toLowerCase() !== 'x-api-key'
      ? [options.apiKeyHeader]
      : []),
    'Last-Event-ID',
    'X-Correlation-Id',
    'X-Request-Id',
    'traceparent',
    'tracestate',
    'Mcp-Session-Id',
    'Mcp-Protocol-Version',
  ];
  const exposeHeaders = [
    'X-Correlation-Id',
    'WWW-Authenticate',
    'Retry-After',
    'ETag',
    'Mcp-Session-Id',
    'traceparent',
  ];
  const preflight = cors({
    origin: allowed ? (origin) => (allowed.has(origin) ? origin : null) : '*',
    allowMethods: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders,
    exposeHeaders,
    maxAge: 600,
  });
  const exposed = exposeHeaders.join(',');
  return async function corsPolicy(c, next) {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    const origin = requestHeader(c, 'origin');
    const allowOrigin = !origin
      ? undefined
      : !allowed
        ? '*'
        : allowed.has(origin)
          ? origin
          : undefined;
    const outgoing = c.env?.outgoing;
    const set = (name: string, value: string) =>
      outgoing ? outgoing.setHeader(name, value) : c.header(name, value);
    // The answer depends on the Origin: shared caches must keep one per origin.
    if (allowed) set('vary', 'Origin');
    if (allowOrigin) {
      set('access-control-allow-origin', allowOrigin);
      set('access-control-expose-headers', exposed);
    }
    await next();
  };
}
