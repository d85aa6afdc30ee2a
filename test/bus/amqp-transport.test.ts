import { randomUUID } from 'node:crypto';
import { type ConfirmChannel, connect } from 'amqplib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/bus/amqp/wire.js';
import type {
  AmqpReceiver,
  AmqpTransport,
  Envelope,
  ReceiveOptions,
  Receiver,
  TransportDelivery,
} from '../../src/bus/index.js';
import { envelope } from '../contract/bus-transport.contract.js';
import { AMQP_URL, AmqpTestNamespaces } from '../support/amqp.js';
import { receiveOptions } from '../support/bus-receive.js';
import { eventually } from '../support/collect.js';
import { suiteTitle } from '../support/services.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** Keeps what it is handed; acknowledges only when a test says so. */
class Held {
  readonly deliveries: TransportDelivery[] = [];
  constructor(private readonly autoAck = false) {}
  readonly deliver = (delivery: TransportDelivery): void => {
    this.deliveries.push(delivery);
    if (this.autoAck) void delivery.ack();
  };
  payloads(): unknown[] {
    return this.deliveries.map((d) => d.envelope.payload);
  }
}

let topics = 0;
function topicName(): string {
  topics += 1;
  return `amqp.t${topics}.${randomUUID().slice(0, 8)}`;
}

describe.skipIf(!AMQP_URL)(suiteTitle('RabbitMQ transport: what RabbitMQ adds', 'AMQP_URL'), () => {
  const namespaces = new AmqpTestNamespaces();
  const receivers: Receiver[] = [];
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    for (const receiver of receivers.splice(0)) await receiver.close().catch(() => {});
    for (const proxy of proxies.splice(0)) await proxy.stop();
  });
  afterAll(() => namespaces.teardown());

  async function receive(
    transport: AmqpTransport,
    topic: string,
    inbox: Held,
    options: Partial<ReceiveOptions> = {},
  ): Promise<AmqpReceiver> {
    const receiver = await transport.receive(topic, receiveOptions(options), inbox.deliver);
    receivers.push(receiver);
    return receiver;
  }

  /** A group that exists (its queue declared) with no member present. */
  async function declareGroup(transport: AmqpTransport, topic: string, group = 'workers') {
    const receiver = await transport.receive(
      topic,
      { group, consumer: 'warm-up', prefetch: 1, visibilityTimeoutMs: 30_000 },
      () => {},
    );
    await receiver.close();
    return `${namespaces.prefixOf(transport)}.${topic}/${group}`;
  }

  /** A plain client on a confirm channel: what it published is in the broker when it returns. */
  async function withBroker<T>(work: (channel: ConfirmChannel) => Promise<T>) {
    const connection = await connect(AMQP_URL!);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => {});
      const result = await work(channel);
      await channel.waitForConfirms();
      return result;
    } finally {
      await connection.close().catch(() => {});
    }
  }

  it('has every message of a batch in the quorum queue, persistent, when send resolves', async () => {
    const transport = await namespaces.create();
    const t = topicName();
    const queue = await declareGroup(transport, t);
    const batch = Array.from({ length: 3 }, (_, n) => envelope(t, { payload: { n } }));
    await transport.send(batch);
    await withBroker(async (channel) => {
      // No waiting: publisher confirms mean the queue holds them once `send` resolved.
      expect((await channel.checkQueue(queue)).messageCount).toBe(3);
      const first = await channel.get(queue);
      if (first === false) throw new Error('queue is empty');
      expect(first.properties.deliveryMode).toBe(2);
      expect(JSON.parse(first.content.toString())).toEqual(batch[0]);
      channel.ack(first);
      const parked = `${namespaces.prefixOf(transport)}/parked`;
      const classic = { 'x-queue-type': 'classic', 'x-dead-letter-exchange': parked };
      await expect(
        channel.assertQueue(queue, { durable: true, arguments: classic }),
      ).rejects.toThrow(/inequivalent arg 'x-queue-type'/);
    });
    expect(await transport.depth(t, 'workers')).toBe(2);
  });

  it('gives what a crashed instance held to another instance, as the next attempt', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(AMQP_URL!).port || 5672));
    proxies.push(proxy);
    const through = new URL(AMQP_URL!);
    through.hostname = '127.0.0.1';
    through.port = String(proxy.port);
    const crashing = await namespaces.create(undefined, { url: through.toString() });
    const survivor = await namespaces.reopen(crashing);
    const t = topicName();
    const lost = new Held();
    await receive(crashing, t, lost);
    await survivor.send([envelope(t, { payload: 'job' })]);
    await eventually(() => lost.deliveries.length === 1, 10_000);

    proxy.cut();
    const found = new Held(true);
    await receive(survivor, t, found);
    await eventually(() => found.deliveries.length === 1, 15_000);
    expect(found.deliveries[0]?.envelope.payload).toBe('job');
    expect(found.deliveries[0]?.attempt).toBe(2);

    await eventually(async () => !(await crashing.health()).ok, 10_000);
    expect((await crashing.health()).detail).toMatch(/connection lost/);
    // The late ack of the crashed instance changes nothing and throws nothing.
    await lost.deliveries[0]?.ack();
    await expect(crashing.send([envelope(t)])).rejects.toThrow(/connection lost/);
  });

  it('keeps a released message in the broker across a restart, and delivers it when due', async () => {
    let transport = await namespaces.create();
    const t = topicName();
    const first = new Held();
    const receiver = await receive(transport, t, first);
    await transport.send([envelope(t, { payload: 'retry me' })]);
    await eventually(() => first.deliveries.length === 1, 10_000);
    const releasedAt = Date.now();
    await first.deliveries[0]?.release(1_500);
    expect(await transport.depth(t, 'workers')).toBe(1);
    await receiver.close();
    await transport.close();

    transport = await namespaces.reopen(transport);
    const again = new Held(true);
    await receive(transport, t, again);
    await eventually(() => again.deliveries.length === 1, 15_000);
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(1_450);
    expect(again.deliveries[0]?.attempt).toBe(2);
    expect(again.deliveries[0]?.envelope.id).toBe(first.deliveries[0]?.envelope.id);
    await eventually(async () => (await transport.depth(t, 'workers')) === 0, 10_000);
  });

  it('counts one attempt per release, expired visibility and member that left', async () => {
    const transport = await namespaces.create();
    const t = topicName();
    const inbox = new Held();
    const member = await receive(transport, t, inbox, { visibilityTimeoutMs: 600 });
    await transport.send([envelope(t)]);
    await eventually(() => inbox.deliveries.length === 1, 10_000);
    await inbox.deliveries[0]?.release(50);
    await eventually(() => inbox.deliveries.length === 2, 10_000);
    // Held past the visibility timeout: delivered again.
    await eventually(() => inbox.deliveries.length === 3, 10_000);
    // A stale ack must not reach the broker (an unknown delivery tag would close the channel).
    await inbox.deliveries[1]?.ack();
    await inbox.deliveries[2]?.release(0);
    await eventually(() => inbox.deliveries.length === 4, 10_000);
    await member.close();
    const other = new Held();
    await receive(transport, t, other);
    await eventually(() => other.deliveries.length === 1, 10_000);
    expect([...inbox.deliveries, ...other.deliveries].map((d) => d.attempt)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    await other.deliveries[0]?.ack();
    await eventually(async () => (await transport.depth(t, 'workers')) === 0, 10_000);
  });

  it('remembers idempotency keys in its window only, and per instance', async () => {
    const transport = await namespaces.create(undefined, { idempotencyWindow: 2 });
    const t = topicName();
    await declareGroup(transport, t);
    const keyed = (key: string) => envelope(t, { idempotencyKey: key });
    const sent = await transport.send([keyed('a'), keyed('b'), keyed('c')]);
    expect(sent.map((r) => r.duplicate)).toEqual([false, false, false]);
    // 'a' fell out of the window of two; 'c' is still in it.
    expect((await transport.send([keyed('a')]))[0]?.duplicate).toBe(false);
    expect((await transport.send([keyed('a')]))[0]?.duplicate).toBe(true);
    const otherInstance = await namespaces.reopen(transport);
    expect((await otherInstance.send([keyed('a')]))[0]?.duplicate).toBe(false);
    expect(await transport.depth(t, 'workers')).toBe(5);
  });

  it('parks what is sent before its topic has a group, and says so in health', async () => {
    const transport = await namespaces.create();
    const t = topicName();
    await transport.send([envelope(t, { payload: 'too early' })]);
    const health = await transport.health();
    expect(health.ok).toBe(true);
    expect(health.detail).toMatch(/1 messages parked/);
    const inbox = new Held(true);
    await receive(transport, t, inbox);
    await transport.send([envelope(t, { payload: 'marker' })]);
    await eventually(() => inbox.payloads().includes('marker'), 10_000);
    expect(inbox.payloads()).toEqual(['marker']);
  });

  it('parks a message that is not an envelope instead of handing it over', async () => {
    const transport = await namespaces.create();
    const t = topicName();
    const inbox = new Held(true);
    await receive(transport, t, inbox);
    const exchange = `${namespaces.prefixOf(transport)}.${t}`;
    await withBroker(async (channel) => {
      channel.publish(exchange, '', Buffer.from('not json'), { persistent: true });
      channel.publish(exchange, '', Buffer.from('{"id":1}'), { persistent: true });
    });
    await transport.send([envelope(t, { payload: 'marker' })]);
    await eventually(() => inbox.payloads().includes('marker'), 10_000);
    expect(inbox.payloads()).toEqual(['marker']);
    await eventually(async () => /2 messages parked/.test((await transport.health()).detail));
  });

  it('sends a delayed copy that arrives before it is due round again', async () => {
    const transport = await namespaces.create();
    const t = topicName();
    const queue = await declareGroup(transport, t);
    const dueAt = Date.now() + 1_500;
    const early: Envelope = envelope(t, { payload: 'early', deliverAt: dueAt });
    // As a copy that left the delay chain too soon (another host's clock, say) would arrive.
    await withBroker(async (channel) => {
      channel.sendToQueue(queue, encodeEnvelope(early), {
        persistent: true,
        headers: { 'bus-attempts': 0, 'bus-due-at': dueAt },
      });
    });
    const inbox = new Held(true);
    await receive(transport, t, inbox);
    await eventually(() => inbox.deliveries.length === 1, 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt - 20);
    expect(inbox.deliveries[0]?.attempt).toBe(1);
    expect(inbox.deliveries[0]?.envelope).toEqual(early);
  });

  it('keeps the prefetch bound across pause and resume while deliveries are in hand', async () => {
    const transport = await namespaces.create();
    const t = topicName();
    const inbox = new Held();
    const receiver = await receive(transport, t, inbox, { prefetch: 2 });
    await transport.send([envelope(t), envelope(t)]);
    await eventually(() => inbox.deliveries.length === 2, 10_000);
    // Pausing cancels the consumer; resuming starts another, which the broker counts afresh:
    // it pushes two of the next three, which wait here while two are still in hand.
    receiver.pause();
    await receiver.applied();
    receiver.resume();
    await receiver.applied();
    await transport.send([envelope(t), envelope(t), envelope(t)]);
    const queue = `${namespaces.prefixOf(transport)}.${t}/workers`;
    await withBroker((channel) =>
      eventually(async () => (await channel.checkQueue(queue)).messageCount === 1, 10_000),
    );
    expect(await transport.depth(t, 'workers')).toBe(5);
    expect(inbox.deliveries).toHaveLength(2);
    await inbox.deliveries[0]?.ack();
    await eventually(() => inbox.deliveries.length === 3, 10_000);
    expect(inbox.deliveries).toHaveLength(3);
  });

  it('reports in health a receiver whose queue was deleted under it', async () => {
    const transport = await namespaces.create();
    const t = topicName();
    await receive(transport, t, new Held(true));
    expect((await transport.health()).ok).toBe(true);
    await withBroker((channel) =>
      channel.deleteQueue(`${namespaces.prefixOf(transport)}.${t}/workers`),
    );
    await eventually(async () => !(await transport.health()).ok, 10_000);
    expect((await transport.health()).detail).toMatch(/cancelled by the broker/);
  });

  it('refuses names and bounds RabbitMQ cannot carry', async () => {
    const transport = await namespaces.create();
    const options = { group: 'g', consumer: 'c', prefetch: 1, visibilityTimeoutMs: 1_000 };
    await expect(transport.receive('a/b', options, () => {})).rejects.toThrow(/no '\/'/);
    await expect(transport.receive('t', { ...options, prefetch: 0 }, () => {})).rejects.toThrow(
      /prefetch/,
    );
    await expect(transport.send([envelope('x'.repeat(300))])).rejects.toThrow(/too long/);
  });
});
