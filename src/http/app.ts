import { Hono } from 'hono';
import type { JSONWebKeySet } from 'jose';
import { correlationId, echoCorrelationId, type RpcEnv } from '../a2a/index.js';
import type { ApiKeyStore, AuthorizationServer, Principal } from '../auth/index.js';
import type { BusHealth, DeadLetterAdmin } from '../bus/index.js';
import type { GatewayMetrics, Logger, Tracing } from '../observability/index.js';
import type { ShredResult } from '../privacy/index.js';
import type { EventStore } from '../store/index.js';
import { type A2aRoutesOptions, mountA2aRoutes } from './a2a-routes.js';
import { accessLog, markUnmatched } from './access-log.js';
import { mountAdminRoutes } from './admin-routes.js';
import { type AuditChainAdmin, mountAuditChainRoutes } from './audit-chain-routes.js';
import { mountAuditRoutes } from './audit-routes.js';
import { type AuthenticationOptions, anyone, authenticate, callerOf } from './authenticate.js';
import { type CorsOptions, corsPolicy } from './cors.js';
import { mountDeadLetterRoutes } from './dead-letter-routes.js';
import { mountEventRoutes } from './event-routes.js';
import { mountMetricsRoute } from './metrics-route.js';
import { mountJwksRoute, mountOAuthRoutes } from './oauth-routes.js';
import { mountPrivacyRoutes } from './privacy-routes.js';
import { mountProjectionRoutes, type ProjectionAdmin } from './projection-routes.js';
import { mountReadinessRoute, type ReadinessCheck } from './readiness.js';
import { securityHeaders } from './security-headers.js';
import { createStreamLimiter, limitStreams } from './stream-limits.js';
import { mountTaskRoutes } from './task-routes.js';
import { traceContext } from './trace-context.js';
import { mountUiRoutes } from './ui-routes.js';

export interface AppDependencies {
  store: EventStore;
  /** Which adapter backs the store, as health checks report it. */
  storeKind: 'pglite' | 'postgres' | 'memory';
  logger: Logger;
  a2a?: Omit<A2aRoutesOptions, 'authenticate'>;
  /** Who may call: JSON-RPC and audit routes authenticate with it. None: anonymous. */
  auth?: AuthenticationOptions;
  /** API keys managed over HTTP (`/admin/api-keys`, admin scope), when API keys are on. */
  apiKeys?: ApiKeyStore;
  /** The built-in OAuth authorization server (`AUTH_SERVER=true`): token endpoint, JWKS. */
  authServer?: AuthorizationServer;
  /**
   * The gateway's public signing keys at `/.well-known/jwks.json` when the authorization
   * server (which serves them itself) is off: push notifications are signed with them.
   */
  jwks?: () => Promise<JSONWebKeySet>;
  /** Each hosted agent's executor health (connections, circuit breakers), shown by /healthz. */
  agentHealth?: () => Record<string, { status: string; detail?: string; breaker?: string }>;
  /**
   * The MCP face (Streamable HTTP at `/mcp`), answering for the authenticated caller. The
   * composition root builds it: `mcp-server/` is a peer of `http/`.
   */
  mcp?: (request: Request, caller: Principal) => Promise<Response>;
  /** The bus: its health in /healthz, its dead letters at `/admin/dead-letters` (admin scope). */
  bus?: { health(): Promise<BusHealth>; deadLetters: DeadLetterAdmin };
  /** The dashboard at `/ui` (static files; its data comes through the authenticated APIs). */
  ui?: boolean;
  /** A span per request, continuing the caller's `traceparent`; absent or off: none. */
  tracing?: Tracing;
  /** The tamper-evident chain of stored events: `/admin/audit/verify` (admin scope). */
  auditChain?: AuditChainAdmin;
  /** Rebuilds of read models while the gateway serves (`/admin/projections/…`, admin scope). */
  projections?: ProjectionAdmin;
  /** Prometheus metrics: every request counted, `GET /metrics` (admin scope when auth is on). */
  metrics?: GatewayMetrics;
  /** `/metrics` without authentication even when it is on (METRICS_PUBLIC). */
  metricsPublic?: boolean;
  /** What `/readyz` checks; none: the route is not served. */
  readiness?: readonly ReadinessCheck[];
  /** Cross-origin browser calls (CORS_ORIGINS); none: off. */
  cors?: CorsOptions;
  /** SSE streams (JSON-RPC and audit) open at once at most; more get HTTP 503. None: no cap. */
  maxSseStreams?: number;
  /** Crypto-shredding of a tenant (`DELETE /admin/tenants/{tenant}/key`), when PII encryption is on. */
  shredTenant?: (tenant: string) => Promise<ShredResult>;
}

/** The HTTP face of the gateway: health, agent cards, JSON-RPC, audit. */
export function createApp(deps: AppDependencies): Hono<RpcEnv> {
  const { store, storeKind, logger, a2a, auth, apiKeys, authServer, agentHealth, mcp, bus } = deps;
  // Not strict: clients join paths differently, `/agents/echo` and `/agents/echo/` are one endpoint.
  const app = new Hono<RpcEnv>({ strict: false });
  const streams = createStreamLimiter(deps.maxSseStreams ?? Number.POSITIVE_INFINITY);

  app.use(securityHeaders());

  // One line per request, and the request metrics; outermost, so it times everything.
  const { metrics } = deps;
  app.use(
    accessLog({
      logger,
      ...(metrics ? { onAnswered: (request) => metrics.observeHttp(request) } : {}),
    }),
  );
  // Preflights are answered before authentication: a browser sends them without credentials.
  if (deps.cors) app.use(corsPolicy(deps.cors));
  // First, so the request's span covers everything after it.
  if (deps.tracing?.enabled) app.use(traceContext(deps.tracing));
  // Every request gets a correlation id, stored with the events it causes and sent back; a
  // caller's own is kept, so its logs and our audit line up.
  app.use(correlationId());
  // JSON-RPC answers carry it themselves, without a Headers object; every other route here.
  for (const path of [
    '/healthz',
    '/readyz',
    '/metrics',
    '/admin/*',
    '/audit/*',
    '/.well-known/*',
    '/agents',
    '/agents/*',
    '/tasks/*',
    '/:tenant/*',
  ])
    app.on(['GET', 'HEAD'], path, echoCorrelationId());

  // Healthy means: this process serves and its store answers a query.
  app.get('/healthz', async (c) => {
    try {
      await store.streamInfo('healthz');
      // An agent whose MCP server or upstream is down leaves the gateway serving the others.
      return c.json({
        status: 'ok',
        store: storeKind,
        ...store.stats(),
        ...(agentHealth ? { agents: agentHealth() } : {}),
        ...(bus ? { bus: await bus.health() } : {}),
      });
    } catch (error) {
      logger.warn('health check failed', { error });
      return c.json({ status: 'unavailable', store: storeKind, reason: describe(error) }, 503);
    }
  });

  // Ready means: send it traffic (each check in the body).
  if (deps.readiness) mountReadinessRoute(app, deps.readiness);
  if (metrics)
    mountMetricsRoute(app, {
      scrape: () => metrics.scrape(),
      ...(auth && !deps.metricsPublic ? { authenticate: authenticate(auth, 'json') } : {}),
    });

  if (a2a)
    mountA2aRoutes(app, {
      ...a2a,
      streams,
      ...(auth ? { authenticate: authenticate(auth, 'json-rpc') } : {}),
    });
  for (const path of ['/tasks/:id/events', '/:tenant/tasks/:id/events'])
    app.get(
      path,
      limitStreams(streams, (c) => (c.req.header('accept') ?? '').includes('text/event-stream')),
    );
  mountAuditRoutes(app, {
    store,
    ...(auth ? { authenticate: authenticate(auth, 'json') } : {}),
    heartbeatMs: a2a?.heartbeatMs ?? 15_000,
    ...(a2a?.shutdown ? { shutdown: a2a.shutdown } : {}),
  });
  // A task as of a time or position (history): the audit route's authentication and tenants.
  mountTaskRoutes(app, {
    store,
    ...(auth ? { authenticate: authenticate(auth, 'json') } : {}),
  });

  // The store itself for operators (admin scope): `gateway events export|tail --url`.
  mountEventRoutes(app, {
    store,
    ...(auth ? { authenticate: authenticate(auth, 'json') } : {}),
    heartbeatMs: a2a?.heartbeatMs ?? 15_000,
    ...(a2a?.shutdown ? { shutdown: a2a.shutdown } : {}),
  });

  if (mcp) {
    const guard = auth ? authenticate(auth, 'json-rpc') : anyone;
    app.on(['GET', 'POST', 'DELETE'], '/mcp', guard, (c) => mcp(c.req.raw, callerOf(c)));
  }

  if (authServer)
    mountOAuthRoutes(app, {
      server: authServer,
      logger,
      ...(auth?.denials ? { denials: auth.denials } : {}),
      ...(auth?.rateLimiter ? { rateLimiter: auth.rateLimiter } : {}),
    });
  else if (deps.jwks) mountJwksRoute(app, deps.jwks);
  if (apiKeys)
    mountAdminRoutes(app, {
      apiKeys,
      ...(auth ? { authenticate: authenticate(auth, 'json') } : {}),
    });

  if (bus)
    mountDeadLetterRoutes(app, {
      deadLetters: bus.deadLetters,
      ...(auth ? { authenticate: authenticate(auth, 'json') } : {}),
    });

  if (deps.ui) mountUiRoutes(app, auth ? { authenticator: auth.authenticator } : {});
  if (deps.auditChain)
    mountAuditChainRoutes(app, {
      chain: deps.auditChain,
      ...(auth ? { authenticate: authenticate(auth, 'json') } : {}),
    });

  if (deps.projections)
    mountProjectionRoutes(app, {
      projections: deps.projections,
      heartbeatMs: a2a?.heartbeatMs ?? 15_000,
      ...(a2a?.shutdown ? { shutdown: a2a.shutdown } : {}),
      ...(auth ? { authenticate: authenticate(auth, 'json') } : {}),
    });

  mountPrivacyRoutes(app, {
    ...(deps.shredTenant ? { shred: deps.shredTenant } : {}),
    ...(auth ? { authenticate: authenticate(auth, 'json') } : {}),
  });

  app.notFound((c) => {
    markUnmatched(c);
    return c.json(
      { error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` },
      404,
    );
  });

  // One place turns unexpected errors into responses; nothing internal is echoed.
  app.onError((error, c) => {
    logger.error('unhandled error', {
      error,
      method: c.req.method,
      path: c.req.path,
      correlationId: c.get('requestId'),
    });
    return c.json({ error: 'internal', message: 'internal server error' }, 500);
  });

  return app;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
