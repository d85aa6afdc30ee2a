import type { MiddlewareHandler } from 'hono';
import type { RpcEnv } from '../a2a/index.js';

/** On every answer: no MIME sniffing, no referrer, never framed. */
const ALWAYS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};
/**
 * Data answers (JSON, SSE) load nothing and run nothing, whatever a browser makes of them.
 * HTML (the dashboard) sets a policy of its own, which replaces this one.
 */
const DATA_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Security headers on every route, set on Node's response before the route runs: Node merges
 * them with the headers the answer writes, and the answer's own values win (the dashboard's
 * CSP). That covers SSE streams, written straight to Node's response past Hono's, and leaves
 * JSON answers built as plain header records (rpc-transport.ts) as cheap as they are. Without
 * Node's response (`app.request` in tests) they go onto the answer afterwards.
 */
export function securityHeaders(): MiddlewareHandler<RpcEnv> {
  return async function securityHeaders(c, next) {
    const outgoing = c.env?.outgoing;
    if (outgoing) {
      for (const [name, value] of Object.entries(ALWAYS)) outgoing.setHeader(name, value);
      outgoing.setHeader('Content-Security-Policy', DATA_CSP);
      return next();
    }
    await next();
    const headers = c.res.headers;
    try {
      for (const [name, value] of Object.entries(ALWAYS))
        if (!headers.has(name)) headers.set(name, value);
      const type = headers.get('content-type') ?? '';
      if (!headers.has('content-security-policy') && !type.startsWith('text/html'))
        headers.set('Content-Security-Policy', DATA_CSP);
    } catch {
      // A response whose headers are immutable (one passed through from a fetch) stays as is.
    }
  };
}
