import {
  type BusTransport,
  CompositeRoutesSchema,
  createCompositeTransport,
  createMemoryTransport,
  MemoryBroker,
} from '../../src/bus/index.js';
import { busTransportContract } from './bus-transport.contract.js';

/** Two in-process brokers behind one composite: contract topics route to the second. */
{
  const brokers = new WeakMap<BusTransport, [MemoryBroker, MemoryBroker]>();
  const routes = CompositeRoutesSchema.parse({
    routes: [
      { topics: ['contract.*'], tenants: ['someone-else'], adapter: 'a' },
      { topics: ['contract.*'], adapter: 'b' },
    ],
    default: 'a',
  });
  const over = (pair: [MemoryBroker, MemoryBroker]) => {
    const transport = createCompositeTransport(routes, {
      a: createMemoryTransport(pair[0]),
      b: createMemoryTransport(pair[1]),
    });
    brokers.set(transport, pair);
    return transport;
  };
  busTransportContract('composite (first match by topic and tenant)', {
    queuePriority: true,
    create: async () => over([new MemoryBroker(), new MemoryBroker()]),
    reopen: async (transport) => over(brokers.get(transport)!),
  });
}
