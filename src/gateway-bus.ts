import {
  type BusTransport,
  createBus,
  createMemoryTransport,
  type GatewayBus,
} from './bus/index.js';
import type { Config } from './config/index.js';
import type { Logger } from './observability/index.js';
import type { EventStore } from './store/index.js';

/** One transport for the bus, as configured. */
async function openTransport(config: Config): Promise<BusTransport> {
  switch (config.BUS) {
    case 'memory':
      return createMemoryTransport();
    default:
      throw new Error(`BUS=${config.BUS} is not available yet: use BUS=memory`);
  }
}

/**
 * The gateway's bus: its transport per `BUS`, consumers named after the instance, dead
 * letters recorded in the event store.
 */
export async function openGatewayBus(
  config: Config,
  deps: { store: EventStore; logger: Logger; instance: string },
): Promise<GatewayBus> {
  const transport = await openTransport(config);
  return createBus(transport, {
    store: deps.store,
    log: deps.logger.child({ component: 'bus' }),
    consumerName: deps.instance,
  });
}

/**
 * The bus as an operator command sees it: dead letters from the store, retries sent through
 * the configured transport. An in-process bus lives inside the gateway: a command cannot
 * reach it, so retries are refused with the way that works.
 */
export async function openOperatorBus(
  config: Config,
  deps: { store: EventStore; logger: Logger },
): Promise<GatewayBus> {
  const transport =
    config.BUS === 'memory' ? unreachableInProcessBus() : await openTransport(config);
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
