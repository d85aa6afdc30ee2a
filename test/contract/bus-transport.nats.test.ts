import { afterAll, describe } from 'vitest';
import { type BusTransport, createNatsTransport } from '../../src/bus/index.js';
import { deleteNatsStreams, NATS_URL, natsPrefixes } from '../support/nats-bus.js';
import { suiteTitle } from '../support/services.js';
import { busTransportContract } from './bus-transport.contract.js';

describe.skipIf(!NATS_URL)(suiteTitle('NATS JetStream bus transport', 'NATS_URL'), () => {
  const prefixes = natsPrefixes();
  const prefixOf = new WeakMap<BusTransport, string>();
  async function open(prefix: string): Promise<BusTransport> {
    const transport = await createNatsTransport({ servers: NATS_URL as string, prefix });
    prefixOf.set(transport, prefix);
    return transport;
  }
  afterAll(async () => {
    await deleteNatsStreams(NATS_URL as string, prefixes.root);
  });

  busTransportContract('nats', {
    create: () => open(prefixes.next()),
    reopen: (transport) => open(prefixOf.get(transport) as string),
  });
});
