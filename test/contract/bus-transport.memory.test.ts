import { createMemoryTransport, MemoryBroker } from '../../src/bus/index.js';
import { busTransportContract } from './bus-transport.contract.js';

{
  const brokers = new WeakMap<object, MemoryBroker>();
  busTransportContract('memory', {
    queuePriority: true,
    async create() {
      const broker = new MemoryBroker();
      const transport = createMemoryTransport(broker);
      brokers.set(transport, broker);
      return transport;
    },
    async reopen(transport) {
      const broker = brokers.get(transport)!;
      const again = createMemoryTransport(broker);
      brokers.set(again, broker);
      return again;
    },
  });
}
