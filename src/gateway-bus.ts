import {
  type BusTransport,
  type CompositeRoutes,
  CompositeRoutesSchema,
  createAmqpTransport,
  createBus,
  createCompositeTransport,
  createMemoryTransport,
  createNatsTransport,
  createPostgresTransport,
  createRedisTransport,
  type GatewayBus,
  traceMessages,
} from './bus/index.js';
import type { Config } from './config/index.js';
import type { Logger, Tracing } from './observability/index.js';
import type { EventStore, SqlClient } from './store/index.js';

type AdapterName = Exclude<Config['BUS'], 'composite'>;

interface TransportDeps {
  /** The store's database, for the queue tables of BUS=database. */
  views: SqlClient;
  logger: Logger;
}

/** One adapter, as configured (its URL checked present by the config schema). */
async function openAdapter(
  name: AdapterName,
  config: Config,
  deps: TransportDeps,
): Promise<BusTransport> {
  switch (name) {
    case 'database':
      return createPostgresTransport({
        client: deps.views,
        schema: config.DATABASE_SCHEMA,
        onBackgroundError: (error) => deps.logger.warn('bus queue background error', { error }),
      });
    case 'memory':
      return createMemoryTransport();
    case 'redis':
      return createRedisTransport({
        url: required(config.REDIS_URL, 'REDIS_URL'),
        prefix: config.BUS_PREFIX,
      });
    case 'nats':
      return createNatsTransport({
        servers: required(config.NATS_URL, 'NATS_URL'),
        prefix: config.BUS_PREFIX,
      });
    case 'amqp':
      return createAmqpTransport({
        url: required(config.AMQP_URL, 'AMQP_URL'),
        prefix: config.BUS_PREFIX,
      });
  }
}

function required(value: string | undefined, variable: string): string {
  if (!value) throw new Error(`the bus needs ${variable}`);
  return value;
}

function parseRoutes(text: string): CompositeRoutes {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`BUS_ROUTES is not JSON: ${(error as Error).message}`);
  }
  const parsed = CompositeRoutesSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(
    `BUS_ROUTES: ${issue?.path.join('.') || 'routes'}: ${issue?.message ?? 'invalid'}`,
  );
}

const ADAPTERS: readonly AdapterName[] = ['database', 'memory', 'redis', 'nats', 'amqp'];

/** The configured transport: one adapter, or several routed by BUS_ROUTES. */
async function openTransport(config: Config, deps: TransportDeps): Promise<BusTransport> {
  if (config.BUS !== 'composite') return openAdapter(config.BUS, config, deps);
  const routes = parseRoutes(required(config.BUS_ROUTES, 'BUS_ROUTES'));
  const names = new Set([routes.default, ...routes.routes.map((route) => route.adapter)]);
  const adapters: Record<string, BusTransport> = {};
  try {
    for (const name of names) {
      if (!ADAPTERS.includes(name as AdapterName)) {
        throw new Error(
          `BUS_ROUTES names the adapter ${name}: expected one of ${ADAPTERS.join(', ')}`,
        );
      }
      adapters[name] = await openAdapter(name as AdapterName, config, deps);
    }
  } catch (error) {
    for (const adapter of Object.values(adapters)) await adapter.close().catch(() => {});
    throw error;
  }
  return createCompositeTransport(routes, adapters);
}

/**
 * The gateway's bus: its transport per `BUS`, consumers named after the instance, dead
 * letters recorded in the event store.
 */
export async function openGatewayBus(
  config: Config,
  deps: {
    store: EventStore;
    views: SqlClient;
    logger: Logger;
    instance: string;
    /** Messages carry the trace of their publisher; handling one continues it. */
    tracing?: Tracing;
  },
): Promise<GatewayBus> {
  const transport = await openTransport(config, deps);
  return createBus(transport, {
    store: deps.store,
    log: deps.logger.child({ component: 'bus' }),
    consumerName: deps.instance,
    ...(deps.tracing?.enabled ? { middleware: [traceMessages(deps.tracing)] } : {}),
  });
}

/**
 * The bus as an operator command sees it: dead letters from the store, retries sent through
 * the configured transport. An in-process bus lives inside the gateway: a command cannot
 * reach it, so retries are refused with the way that works.
 */
export async function openOperatorBus(
  config: Config,
  deps: { store: EventStore; views: SqlClient; logger: Logger },
): Promise<GatewayBus> {
  const transport =
    config.BUS === 'memory' ? unreachableInProcessBus() : await openTransport(config, deps);
  return createBus(transport, {
    store: deps.store,
    log: deps.logger,
    consumerName: `cli-${process.pid}`,
  });
}

function unreachableInProcessBus(): BusTransport {
  const refuse = async (): Promise<never> => {
    throw new Error(
      "the bus is in-process (BUS=memory): retry through the running gateway's admin API with --url <its URL>",
    );
  };
  return {
    kind: 'memory',
    send: refuse,
    receive: refuse,
    depth: refuse,
    health: async () => ({ ok: false, detail: 'in-process bus of another process' }),
    close: async () => {},
  };
}
