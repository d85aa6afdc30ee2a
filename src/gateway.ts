import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config } from './config/index.js';
import { createGatewayRegistry } from './gateway-registry.js';
import { createApp, type RunningServer, startHttpServer } from './http/index.js';
import type { Logger } from './observability/index.js';
import {
  createPgliteEventStore,
  createPostgresEventStore,
  type EventStore,
} from './store/index.js';

export interface Gateway {
  url: string;
  store: EventStore;
  /** Graceful: stop accepting, finish requests and appends in flight, close the store. */
  stop(): Promise<void>;
}

/** The composition root: wires config to a store, the HTTP app and a listening server. */
export async function startGateway(config: Config, logger: Logger): Promise<Gateway> {
  const { store, kind } = await openStore(config, logger);
  let server: RunningServer;
  try {
    server = await startHttpServer(createApp({ store, storeKind: kind, logger }), {
      host: config.HOST,
      port: config.PORT,
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  logger.info('gateway listening', { url: server.url, store: kind });

  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    store,
    stop() {
      stopping ??= (async () => {
        logger.info('shutting down: finishing requests in flight');
        await server.close(config.SHUTDOWN_TIMEOUT_MS);
        await store.close();
        logger.info('shut down cleanly');
      })();
      return stopping;
    },
  };
}

/** Opens the configured store (PostgreSQL when DATABASE_URL is set, else PGlite), migrated. */
export async function openStore(
  config: Config,
  logger: Logger,
): Promise<{ store: EventStore; kind: 'pglite' | 'postgres' }> {
  const registry = createGatewayRegistry();
  const onBackgroundError = (error: unknown) =>
    logger.warn('event store background error', { error });
  if (config.DATABASE_URL) {
    const target = new URL(config.DATABASE_URL);
    logger.info('opening PostgreSQL event store', {
      host: target.host,
      database: target.pathname.slice(1),
    });
    const store = await createPostgresEventStore({
      connectionString: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      max: config.DATABASE_POOL_SIZE,
      registry,
      onBackgroundError,
    });
    return { store, kind: 'postgres' };
  }
  const dataDir = resolve(config.DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  logger.info(
    'opening embedded PGlite event store (the first start initialises it: a few seconds)',
    {
      dataDir,
    },
  );
  const store = await createPgliteEventStore({
    dataDir,
    schema: config.DATABASE_SCHEMA,
    registry,
    onBackgroundError,
  });
  return { store, kind: 'pglite' };
}
