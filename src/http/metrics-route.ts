import type { Hono, MiddlewareHandler } from 'hono';
import type { RpcEnv } from '../a2a/index.js';
import { SCOPES } from '../auth/index.js';
import { requireScope } from './authenticate.js';

export interface MetricsRouteOptions {
  /** The exposition text (observability's `GatewayMetrics.scrape`). */
  scrape(): Promise<{ contentType: string; body: string }>;
  /**
   * Authentication when it is on: the route then needs the admin scope. Absent (no
   * authentication, or METRICS_PUBLIC): anyone who reaches the port may scrape.
   */
  authenticate?: MiddlewareHandler<RpcEnv>;
}

/** `GET /metrics`: Prometheus text exposition. */
export function mountMetricsRoute(app: Hono<RpcEnv>, options: MetricsRouteOptions): void {
  const { authenticate } = options;
  const answer = async () => {
    const { contentType, body } = await options.scrape();
    return new Response(body, {
      status: 200,
      headers: { 'content-type': contentType, 'cache-control': 'no-store' },
    });
  };
  if (!authenticate) {
    app.get('/metrics', answer);
    return;
  }
  app.get('/metrics', authenticate, async (c) => requireScope(c, SCOPES.admin) ?? answer());
}
