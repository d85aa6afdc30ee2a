import { afterAll, describe } from 'vitest';
import type { AmqpTransport } from '../../src/bus/index.js';
import { AmqpTestNamespaces } from '../support/amqp.js';
import { suiteTitle } from '../support/services.js';
import { busTransportContract } from './bus-transport.contract.js';

describe.skipIf(!process.env.AMQP_URL)(suiteTitle('RabbitMQ transport', 'AMQP_URL'), () => {
  const namespaces = new AmqpTestNamespaces();
  afterAll(() => namespaces.teardown());

  // RabbitMQ quorum queues have no priorities: no `queuePriority`, the bus orders within its window.
  busTransportContract('amqp', {
    create: () => namespaces.create(),
    reopen: (transport) => namespaces.reopen(transport as AmqpTransport),
  });
});
