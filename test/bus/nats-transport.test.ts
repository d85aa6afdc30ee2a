import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  BusFullError,
  type BusTransport,
  createNatsTransport,
  type NatsTransportOptions,
  type ReceiveOptions,
  type Receiver,
  type TransportDelivery,
} from '../../src/bus/index.js';
import { topicNames } from '../../src/bus/nats/names.js';
import { envelope } from '../contract/bus-transport.contract.js';
import { receiveOptions } from '../support/bus-receive.js';
import { eventually } from '../support/collect.js';
import { deleteNatsStreams, NATS_URL, natsPrefixes } from '../support/nats-bus.js';
import { suiteTitle } from '../support/services.js';

class Inbox {
  readonly deliveries: TransportDelivery[] = [];
  constructor(private readonly hold = false) {}
  readonly deliver = (delivery: TransportDelivery): void => {
    this.deliveries.push(delivery);
    if (!this.hold) void delivery.ack();
  };
  payloads(): unknown[] {
    return this.deliveries.map((d) => d.envelope.payload);
  }
}

function topic(): string {
  return `nats.t.${randomUUID().slice(0, 8)}`;
}

describe.skipIf(!NATS_URL)(
  suiteTitle('NATS JetStream bus transport, its own behaviour', 'NATS_URL'),
  () => {
    const prefixes = natsPrefixes();
    const transports: BusTransport[] = [];
    const receivers: Receiver[] = [];

    async function open(
      overrides: Partial<NatsTransportOptions> = {},
      prefix = prefixes.next(),
    ): Promise<BusTransport> {
      const transport = await createNatsTransport({
        servers: NATS_URL as string,
        prefix,
        ...overrides,
      });
      transports.push(transport);
      return transport;
    }

    async function receive(
      transport: BusTransport,
      topicName: string,
      inbox: Inbox,
      options: Partial<ReceiveOptions> = {},
    ): Promise<Receiver> {
      const receiver = await transport.receive(
        topicName,
        receiveOptions({ prefetch: 8, ...options }),
        inbox.deliver,
      );
      receivers.push(receiver);
      return receiver;
    }

    afterEach(async () => {
      for (const receiver of receivers.splice(0)) await receiver.close();
      for (const transport of transports.splice(0)) await transport.close();
    });
    afterAll(async () => {
      await deleteNatsStreams(NATS_URL as string, prefixes.root);
    });

    it('lets a second instance take over what the first held past the ack wait', async () => {
      const prefix = prefixes.next();
      const first = await open({}, prefix);
      const second = await open({}, prefix);
      const t = topic();
      const held = new Inbox(true);
      const stalled = await receive(first, t, held, { visibilityTimeoutMs: 800 });
      await first.send([envelope(t, { payload: 'job' })]);
      await eventually(() => held.deliveries.length === 1, 10_000);
      // The first instance stops taking anything: the redelivery can only go to the second.
      stalled.pause();
      const takeover = new Inbox();
      await receive(second, t, takeover, { visibilityTimeoutMs: 800 });
      await eventually(() => takeover.deliveries.length === 1, 15_000);
      expect(takeover.deliveries[0]?.attempt).toBe(2);
      expect(takeover.deliveries[0]?.envelope.id).toBe(held.deliveries[0]?.envelope.id);
      await eventually(async () => (await second.depth(t, 'workers')) === 0, 10_000);
      await held.deliveries[0]?.ack();
      expect(held.deliveries).toHaveLength(1);
    });

    it('ignores an ack that comes after the visibility timeout, and frees the slot it held', async () => {
      const transport = await open();
      const t = topic();
      const inbox = new Inbox(true);
      await receive(transport, t, inbox, { prefetch: 1, visibilityTimeoutMs: 1_000 });
      await transport.send([envelope(t)]);
      await eventually(() => inbox.deliveries.length === 1, 10_000);
      // With prefetch 1, the second delivery needs the first one's slot back.
      await eventually(() => inbox.deliveries.length === 2, 15_000);
      expect(inbox.deliveries[1]?.attempt).toBe(2);
      await inbox.deliveries[0]?.ack();
      // An ack resolves once the server has it: had this one been sent, nothing would be left.
      expect(await transport.depth(t, 'workers')).toBe(1);
      await inbox.deliveries.at(-1)?.ack();
      await eventually(async () => (await transport.depth(t, 'workers')) === 0, 10_000);
    });

    it('keeps a released message out of the prefetch while it waits', async () => {
      const transport = await open();
      const t = topic();
      const inbox = new Inbox(true);
      await receive(transport, t, inbox, { prefetch: 1 });
      await transport.send([envelope(t, { payload: 'a' }), envelope(t, { payload: 'b' })]);
      await eventually(() => inbox.deliveries.length === 1, 10_000);
      await inbox.deliveries[0]?.release(60_000);
      await eventually(() => inbox.deliveries.length === 2, 10_000);
      expect(inbox.payloads()).toEqual(['a', 'b']);
      expect(await transport.depth(t, 'workers')).toBe(2);
    });

    it('counts a scheduled message as attempt 1 when due, and each release after it', async () => {
      const transport = await open();
      const t = topic();
      const inbox = new Inbox(true);
      await receive(transport, t, inbox);
      const deliverAt = Date.now() + 500;
      await transport.send([envelope(t, { deliverAt, payload: 'scheduled' })]);
      // Not yet due, it is waiting for the group all the same.
      expect(await transport.depth(t, 'workers')).toBe(1);
      await eventually(() => inbox.deliveries.length === 1, 10_000);
      expect(Date.now()).toBeGreaterThanOrEqual(deliverAt - 20);
      expect(inbox.deliveries[0]?.attempt).toBe(1);
      await inbox.deliveries[0]?.release(100);
      await eventually(() => inbox.deliveries.length === 2, 10_000);
      expect(inbox.deliveries[1]?.attempt).toBe(2);
      await inbox.deliveries[1]?.release(0);
      await eventually(() => inbox.deliveries.length === 3, 10_000);
      expect(inbox.deliveries[2]?.attempt).toBe(3);
      expect(inbox.deliveries[2]?.envelope.deliverAt).toBe(deliverAt);
      await inbox.deliveries[2]?.ack();
      await eventually(async () => (await transport.depth(t, 'workers')) === 0, 10_000);
    });

    it('forgets an idempotency key after the duplicate window, and keys are per topic', async () => {
      const transport = await open({ duplicateWindowMs: 1_000 });
      const t = topic();
      const other = topic();
      const inbox = new Inbox();
      const otherInbox = new Inbox();
      await receive(transport, t, inbox);
      await receive(transport, other, otherInbox);
      const key = 'push:cfg-1:7';
      const [first] = await transport.send([
        envelope(t, { idempotencyKey: key, payload: 'first' }),
      ]);
      const [repeat] = await transport.send([
        envelope(t, { idempotencyKey: key, payload: 'repeat' }),
      ]);
      const [elsewhere] = await transport.send([
        envelope(other, { idempotencyKey: key, payload: 'elsewhere' }),
      ]);
      expect([first?.duplicate, repeat?.duplicate, elsewhere?.duplicate]).toEqual([
        false,
        true,
        false,
      ]);
      await eventually(async () => {
        const [later] = await transport.send([
          envelope(t, { idempotencyKey: key, payload: 'after the window' }),
        ]);
        return later?.duplicate === false;
      }, 15_000);
      await transport.send([envelope(t, { payload: 'marker' })]);
      await eventually(() => inbox.payloads().includes('marker'), 10_000);
      expect(inbox.payloads()).toEqual(['first', 'after the window', 'marker']);
      await eventually(() => otherInbox.deliveries.length === 1, 10_000);
    });

    it('refuses to send beyond a bounded topic, and takes more once messages are acknowledged', async () => {
      const transport = await open({ maxMessages: 3 });
      const t = topic();
      const inbox = new Inbox(true);
      await receive(transport, t, inbox, { prefetch: 1 });
      await transport.send([envelope(t), envelope(t), envelope(t)]);
      await expect(transport.send([envelope(t)])).rejects.toBeInstanceOf(BusFullError);
      await eventually(() => inbox.deliveries.length === 1, 10_000);
      await inbox.deliveries[0]?.ack();
      await eventually(async () => {
        try {
          await transport.send([envelope(t, { payload: 'room again' })]);
          return true;
        } catch (error) {
          if (error instanceof BusFullError) return false;
          throw error;
        }
      }, 10_000);
    });

    it('keeps topics and groups apart whose names differ only where NATS names cannot', async () => {
      const transport = await open();
      const base = randomUUID().slice(0, 8);
      const topics = [`${base}.odd`, `${base}-odd`, `${base}_odd`, `${base} odd/ü*>`];
      const inboxes = topics.map(() => new Inbox());
      for (const [n, name] of topics.entries()) {
        await receive(transport, name, inboxes[n] as Inbox, { group: 'team a/ü.*' });
      }
      await transport.send(topics.map((name) => envelope(name, { payload: name })));
      for (const [n, name] of topics.entries()) {
        await eventually(() => inboxes[n]?.deliveries.length === 1, 10_000);
        expect(inboxes[n]?.payloads()).toEqual([name]);
      }
    });

    it('terminates what is not an envelope and goes on with what follows', async () => {
      const prefix = prefixes.next();
      const transport = await open({}, prefix);
      const t = topic();
      const inbox = new Inbox();
      await receive(transport, t, inbox);
      const nc = await connect({ servers: NATS_URL as string });
      try {
        await nc.request(topicNames(prefix, t).ready, 'not json', { timeout: 5_000 });
      } finally {
        await nc.close();
      }
      await transport.send([envelope(t, { payload: 'good' })]);
      await eventually(() => inbox.payloads().includes('good'), 10_000);
      await eventually(async () => (await transport.depth(t, 'workers')) === 0, 10_000);
      expect(inbox.payloads()).toEqual(['good']);
    });

    it('reports the round trip when healthy, and closed once closed', async () => {
      const transport = await open();
      const health = await transport.health();
      expect(health.ok).toBe(true);
      expect(health.detail).toMatch(/JetStream at .* answered in \d+ ms/);
      await transport.close();
      expect(await transport.health()).toEqual({ ok: false, detail: 'closed' });
      await expect(transport.send([envelope(topic())])).rejects.toThrow(/closed/);
    });

    it('refuses a prefix that stream names cannot carry', async () => {
      await expect(
        createNatsTransport({ servers: NATS_URL as string, prefix: 'has_underscore' }),
      ).rejects.toThrow(/prefix/);
    });
  },
);
