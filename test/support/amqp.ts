import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { type AmqpTransport, createAmqpTransport } from '../../src/bus/index.js';

export const AMQP_URL = process.env.AMQP_URL;

/**
 * RabbitMQ transports of a test file, each in a namespace (prefix) of its own; `teardown`
 * deletes every queue and exchange any of them declared.
 */
export class AmqpTestNamespaces {
  private readonly transports: AmqpTransport[] = [];
  private readonly prefixes = new WeakMap<object, string>();

  async create(
    prefix = `test.${process.pid}.${randomUUID().slice(0, 8)}`,
    options: { url?: string; idempotencyWindow?: number } = {},
  ): Promise<AmqpTransport> {
    const transport = await createAmqpTransport({
      url: options.url ?? AMQP_URL!,
      prefix,
      idempotencyWindow: options.idempotencyWindow,
    });
    this.transports.push(transport);
    this.prefixes.set(transport, prefix);
    return transport;
  }

  /** A transport over the namespace of an earlier one: what a restarted instance sees. */
  reopen(transport: AmqpTransport): Promise<AmqpTransport> {
    return this.create(this.prefixOf(transport));
  }

  prefixOf(transport: object): string {
    const prefix = this.prefixes.get(transport);
    if (!prefix) throw new Error('not a transport of this test file');
    return prefix;
  }

  async teardown(): Promise<void> {
    const exchanges = new Set<string>();
    const queues = new Set<string>();
    for (const transport of this.transports.splice(0)) {
      await transport.close().catch(() => {});
      const declared = transport.declared();
      for (const name of declared.exchanges) exchanges.add(name);
      for (const name of declared.queues) queues.add(name);
    }
    if (exchanges.size === 0 && queues.size === 0) return;
    const connection = await connect(AMQP_URL!);
    try {
      const channel = await connection.createChannel();
      for (const queue of queues) await channel.deleteQueue(queue);
      for (const exchange of exchanges) await channel.deleteExchange(exchange);
    } finally {
      await connection.close();
    }
  }
}
