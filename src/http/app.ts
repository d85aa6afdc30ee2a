import { Hono } from 'hono';
import type { Logger } from '../observability/index.js';
import type { EventStore } from '../store/index.js';

export interface AppDependencies {
  store: EventStore;
  /** Which adapter backs the store, as health checks report it. */
  storeKind: 'pglite' | 'postgres' | 'memory';
  logger: Logger;
}

/** The HTTP face of the gateway. Routes are added here as the layers below them grow. */
export function createApp({ store, storeKind, logger }: AppDependencies): Hono {
  const app = new Hono();

  // Healthy means: this process serves and its store answers a query.
  app.get('/healthz', async (c) => {
    try {
      await store.streamInfo('healthz');
      return c.json({ status: 'ok', store: storeKind, ...store.stats() });
    } catch (error) {
      logger.warn('health check failed', { error });
      return c.json({ status: 'unavailable', store: storeKind, reason: describe(error) }, 503);
    }
  });

  app.notFound((c) =>
    c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404),
  );

  // One place turns unexpected errors into responses; nothing internal is echoed.
  app.onError((error, c) => {
    logger.error('unhandled error', { error, method: c.req.method, path: c.req.path });
    return c.json({ error: 'internal', message: 'internal server error' }, 500);
  });

  return app;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
