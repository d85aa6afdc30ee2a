import { afterAll, describe } from 'vitest';
import { type BusTransport, createRedisTransport } from '../../src/bus/index.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { suiteTitle } from '../support/services.js';
import { busTransportContract } from './bus-transport.contract.js';

describe.skipIf(!REDIS_URL)(suiteTitle('Redis Streams transport', 'REDIS_URL'), () => {
  const url = REDIS_URL ?? '';
  const prefixes = new WeakMap<BusTransport, string>();
  const used: string[] = [];
  const open = (prefix: string): BusTransport => {
    const transport = createRedisTransport({ url, prefix });
    prefixes.set(transport, prefix);
    return transport;
  };
  afterAll(async () => {
    for (const prefix of used) await deletePrefix(url, prefix);
  });

  // FIFO per topic: no queuePriority, the bus orders by priority within its window.
  busTransportContract('redis', {
    async create() {
      const prefix = uniquePrefix('bus-contract');
      used.push(prefix);
      return open(prefix);
    },
    async reopen(transport) {
      return open(prefixes.get(transport)!);
    },
  });
});
