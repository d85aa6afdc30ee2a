import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  BusTransport,
  Envelope,
  Priority,
  ReceiveOptions,
  Receiver,
  TransportDelivery,
} from '../../src/bus/index.js';
import { receiveOptions } from '../support/bus-receive.js';
import { eventually } from '../support/collect.js';

export interface TransportHarness {
  /** A transport in a namespace of its own (prefix, schema, vhost…): tests never see each other. */
  create(): Promise<BusTransport>;
  /** A new transport over the same namespace, after `transport` was closed: what a restart sees. */
  reopen(transport: BusTransport): Promise<BusTransport>;
  /** The queue itself orders by priority (with aging), not only the bus within its window. */
  queuePriority?: boolean;
}

let topicCounter = 0;
function topic(): string {
  topicCounter += 1;
  return `contract.t${topicCounter}.${randomUUID().slice(0, 8)}`;
}

export function envelope(topicName: string, overrides: Partial<Envelope> = {}): Envelope {
  return {
    id: randomUUID(),
    topic: topicName,
    payload: { n: 0 },
    priority: 'normal',
    headers: {},
    publishedAt: Date.now(),
    ...overrides,
  };
}

function numbered(topicName: string, count: number, extra: Partial<Envelope> = {}): Envelope[] {
  return Array.from({ length: count }, (_, n) => envelope(topicName, { payload: { n }, ...extra }));
}

/** Records what a receiver is handed; acknowledges at once unless told to hold. */
class Inbox {
  readonly deliveries: TransportDelivery[] = [];
  hold = false;
  readonly deliver = (delivery: TransportDelivery): void => {
    this.deliveries.push(delivery);
    if (!this.hold) void delivery.ack();
  };
  payloads(): unknown[] {
    return this.deliveries.map((d) => d.envelope.payload);
  }
  ids(): string[] {
    return this.deliveries.map((d) => d.envelope.id);
  }
}

/**
 * The `BusTransport` contract: every queue adapter passes it, against the real service.
 * A group exists from its first `receive` on and from then on keeps every message of its
 * topic until acknowledged, its consumers present or not; the gateway starts its consumers
 * before it publishes, so tests receive once before they send.
 * Timing-dependent checks wait for an outcome with a bound, never for a fixed time, except
 * where the contract is about time itself (delays, visibility), and then with slack.
 */
export function busTransportContract(name: string, harness: TransportHarness): void {
  describe(`BusTransport contract: ${name}`, () => {
    const open: BusTransport[] = [];
    const receivers: Receiver[] = [];
    afterEach(async () => {
      for (const receiver of receivers.splice(0)) await receiver.close().catch(() => {});
      for (const transport of open.splice(0)) await transport.close().catch(() => {});
    });

    async function create(): Promise<BusTransport> {
      const transport = await harness.create();
      open.push(transport);
      return transport;
    }
    async function reopen(transport: BusTransport): Promise<BusTransport> {
      await transport.close();
      open.splice(open.indexOf(transport), 1);
      const again = await harness.reopen(transport);
      open.push(again);
      return again;
    }
    async function receive(
      transport: BusTransport,
      topicName: string,
      inbox: Inbox,
      options: Partial<ReceiveOptions> = {},
    ): Promise<Receiver> {
      const receiver = await transport.receive(topicName, receiveOptions(options), inbox.deliver);
      receivers.push(receiver);
      return receiver;
    }

    it('delivers what was sent once, whole, with attempt 1, and forgets it when acknowledged', async () => {
      const transport = await create();
      const t = topic();
      const inbox = new Inbox();
      await receive(transport, t, inbox);
      const sent = envelope(t, {
        payload: { text: 'héllo ✓ 𝄞', nested: { list: [1, 2.5, null, true], empty: {} } },
        key: 'task-1',
        priority: 'high',
        headers: { 'correlation-id': 'c-1', tenant: 'acme', traceparent: '00-abc-def-01' },
      });
      const results = await transport.send([sent]);
      expect(results).toEqual([{ id: sent.id, duplicate: false }]);
      await eventually(() => inbox.deliveries.length === 1, 10_000);
      const [delivery] = inbox.deliveries;
      expect(delivery?.attempt).toBe(1);
      expect(delivery?.envelope).toEqual(sent);
      await eventually(async () => (await transport.depth(t, 'workers')) === 0, 10_000);
    });

    it('sends a batch in order and delivers each envelope exactly once', async () => {
      const transport = await create();
      const t = topic();
      const inbox = new Inbox();
      await receive(transport, t, inbox, { prefetch: 50 });
      const batch = numbered(t, 200);
      const results = await transport.send(batch);
      expect(results.map((r) => r.id)).toEqual(batch.map((e) => e.id));
      await eventually(() => inbox.deliveries.length >= 200, 20_000);
      expect(new Set(inbox.ids()).size).toBe(200);
      expect(inbox.deliveries).toHaveLength(200);
    });

    it('hands a key’s messages to one consumer in the order they were sent', async () => {
      const transport = await create();
      const t = topic();
      const inbox = new Inbox();
      await receive(transport, t, inbox, { prefetch: 8 });
      const mixed = Array.from({ length: 40 }, (_, n) =>
        envelope(t, { key: n % 2 === 0 ? 'even' : 'odd', payload: { n } }),
      );
      await transport.send(mixed.slice(0, 20));
      await transport.send(mixed.slice(20));
      await eventually(() => inbox.deliveries.length === 40, 10_000);
      for (const key of ['even', 'odd']) {
        const order = inbox.deliveries
          .filter((d) => d.envelope.key === key)
          .map((d) => (d.envelope.payload as { n: number }).n);
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    });

    it('gives every group every message, and splits a group’s messages among its members', async () => {
      const transport = await create();
      const t = topic();
      const auditA = new Inbox();
      const memberA = new Inbox();
      const memberB = new Inbox();
      await receive(transport, t, auditA, { group: 'audit' });
      await receive(transport, t, memberA, { group: 'workers', prefetch: 2 });
      await receive(transport, t, memberB, { group: 'workers', prefetch: 2 });
      await transport.send(numbered(t, 60));
      await eventually(
        () =>
          auditA.deliveries.length === 60 &&
          memberA.deliveries.length + memberB.deliveries.length === 60,
        15_000,
      );
      const shared = [...memberA.ids(), ...memberB.ids()];
      expect(new Set(shared).size).toBe(60);
      expect(new Set(auditA.ids()).size).toBe(60);
    });

    it('keeps messages for a group while its consumers are away', async () => {
      const transport = await create();
      const t = topic();
      const first = new Inbox();
      const receiver = await receive(transport, t, first);
      await receiver.close();
      await transport.send(numbered(t, 5));
      const second = new Inbox();
      await receive(transport, t, second);
      await eventually(() => second.deliveries.length === 5, 10_000);
      expect(first.deliveries).toHaveLength(0);
    });

    it('delivers a released message again after the delay, as the next attempt', async () => {
      const transport = await create();
      const t = topic();
      const inbox = new Inbox();
      inbox.hold = true;
      await receive(transport, t, inbox);
      await transport.send([envelope(t)]);
      await eventually(() => inbox.deliveries.length === 1, 10_000);
      const releasedAt = Date.now();
      await inbox.deliveries[0]?.release(400);
      await eventually(() => inbox.deliveries.length === 2, 10_000);
      const again = inbox.deliveries[1];
      expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(350);
      expect(again?.attempt).toBe(2);
      expect(again?.envelope.id).toBe(inbox.deliveries[0]?.envelope.id);
      await again?.ack();
      await eventually(async () => (await transport.depth(t, 'workers')) === 0, 10_000);
    });

    it('delivers again, as the next attempt, what was held past the visibility timeout', async () => {
      const transport = await create();
      const t = topic();
      const inbox = new Inbox();
      inbox.hold = true;
      await receive(transport, t, inbox, { visibilityTimeoutMs: 500 });
      await transport.send([envelope(t)]);
      await eventually(() => inbox.deliveries.length === 1, 10_000);
      await eventually(() => inbox.deliveries.length === 2, 15_000);
      expect(inbox.deliveries[1]?.attempt).toBe(2);
      expect(inbox.deliveries[1]?.envelope.id).toBe(inbox.deliveries[0]?.envelope.id);
      await inbox.deliveries[1]?.ack();
      await eventually(async () => (await transport.depth(t, 'workers')) === 0, 10_000);
    });

    it('gives another member what a member took and left without acknowledging', async () => {
      const transport = await create();
      const t = topic();
      const crashed = new Inbox();
      crashed.hold = true;
      const crashedReceiver = await receive(transport, t, crashed, { visibilityTimeoutMs: 500 });
      await transport.send([envelope(t, { payload: { job: 1 } })]);
      await eventually(() => crashed.deliveries.length === 1, 10_000);
      await crashedReceiver.close();
      const survivor = new Inbox();
      await receive(transport, t, survivor, { visibilityTimeoutMs: 500 });
      await eventually(() => survivor.deliveries.length === 1, 15_000);
      expect(survivor.deliveries[0]?.envelope.payload).toEqual({ job: 1 });
      expect(survivor.deliveries[0]?.attempt).toBeGreaterThanOrEqual(2);
    });

    it('hands over at most `prefetch` unacknowledged deliveries', async () => {
      const transport = await create();
      const t = topic();
      const inbox = new Inbox();
      inbox.hold = true;
      await receive(transport, t, inbox, { prefetch: 2 });
      // A second group sees all five: the messages are there, the bound holds the first group back.
      const other = new Inbox();
      await receive(transport, t, other, { group: 'other' });
      await transport.send(numbered(t, 5));
      await eventually(() => inbox.deliveries.length === 2, 10_000);
      await eventually(() => other.deliveries.length === 5, 10_000);
      expect(inbox.deliveries).toHaveLength(2);
      await inbox.deliveries[0]?.ack();
      await eventually(() => inbox.deliveries.length === 3, 10_000);
    });

    it('hands over nothing new while paused, and resumes', async () => {
      const transport = await create();
      const t = topic();
      const inbox = new Inbox();
      const receiver = await receive(transport, t, inbox);
      const other = new Inbox();
      await receive(transport, t, other, { group: 'other' });
      receiver.pause();
      await transport.send([envelope(t)]);
      await eventually(() => other.deliveries.length === 1, 10_000);
      expect(inbox.deliveries).toHaveLength(0);
      expect(await transport.depth(t, 'workers')).toBe(1);
      receiver.resume();
      await eventually(() => inbox.deliveries.length === 1, 10_000);
    });

    it('does not deliver before `deliverAt`', async () => {
      const transport = await create();
      const t = topic();
      const inbox = new Inbox();
      await receive(transport, t, inbox);
      const deliverAt = Date.now() + 600;
      await transport.send([envelope(t, { deliverAt, payload: 'later' }), envelope(t)]);
      await eventually(() => inbox.deliveries.length === 2, 10_000);
      const later = inbox.deliveries.find((d) => d.envelope.payload === 'later');
      expect(inbox.deliveries[0]?.envelope.payload).not.toBe('later');
      expect(later?.envelope.deliverAt).toBe(deliverAt);
      expect(Date.now()).toBeGreaterThanOrEqual(deliverAt - 20);
    });

    it('keeps sent and scheduled messages across a restart', async () => {
      let transport = await create();
      const t = topic();
      // The group exists before the restart, as the gateway's consumers do.
      const before = await receive(transport, t, new Inbox());
      await before.close();
      receivers.splice(receivers.indexOf(before), 1);
      const deliverAt = Date.now() + 1_000;
      await transport.send([
        envelope(t, { payload: 'now' }),
        envelope(t, { payload: 'scheduled', deliverAt }),
      ]);
      transport = await reopen(transport);
      const inbox = new Inbox();
      await receive(transport, t, inbox);
      await eventually(() => inbox.deliveries.length === 2, 15_000);
      expect(inbox.payloads().sort()).toEqual(['now', 'scheduled']);
      const scheduled = inbox.deliveries.find((d) => d.envelope.payload === 'scheduled');
      expect(scheduled?.envelope.deliverAt).toBe(deliverAt);
      expect(Date.now()).toBeGreaterThanOrEqual(deliverAt - 20);
    });

    it('drops a repeat of an idempotency key', async () => {
      const transport = await create();
      const t = topic();
      const inbox = new Inbox();
      await receive(transport, t, inbox);
      const first = envelope(t, { idempotencyKey: 'push:cfg-1:42', payload: 'first' });
      const repeat = envelope(t, { idempotencyKey: 'push:cfg-1:42', payload: 'repeat' });
      expect(await transport.send([first])).toEqual([{ id: first.id, duplicate: false }]);
      const [result] = await transport.send([repeat]);
      expect(result?.duplicate).toBe(true);
      await transport.send([envelope(t, { payload: 'marker' })]);
      await eventually(() => inbox.payloads().includes('marker'), 10_000);
      expect(inbox.payloads().filter((p) => p !== 'marker')).toEqual(['first']);
    });

    it('counts what a group has not acknowledged', async () => {
      const transport = await create();
      const t = topic();
      const inbox = new Inbox();
      inbox.hold = true;
      await receive(transport, t, inbox, { prefetch: 1 });
      await transport.send(numbered(t, 3));
      await eventually(async () => (await transport.depth(t, 'workers')) === 3, 10_000);
      await eventually(() => inbox.deliveries.length === 1, 10_000);
      await inbox.deliveries[0]?.ack();
      await eventually(async () => (await transport.depth(t, 'workers')) === 2, 10_000);
    });

    it('reports itself healthy, and stops delivering once closed', async () => {
      const transport = await create();
      expect((await transport.health()).ok).toBe(true);
      const t = topic();
      const inbox = new Inbox();
      const receiver = await receive(transport, t, inbox);
      const other = new Inbox();
      await receive(transport, t, other, { group: 'other' });
      await receiver.close();
      await transport.send([envelope(t)]);
      await eventually(() => other.deliveries.length === 1, 10_000);
      expect(inbox.deliveries).toHaveLength(0);
    });

    // Only adapters whose queue orders by priority; for the others the bus orders its window.
    if (harness.queuePriority) {
      it('hands the most urgent waiting messages over first', async () => {
        const transport = await create();
        const t = topic();
        const warm = await receive(transport, t, new Inbox());
        await warm.close();
        receivers.splice(receivers.indexOf(warm), 1);
        const order: Priority[] = ['low', 'normal', 'high', 'critical'];
        for (const priority of order) await transport.send(numbered(t, 5, { priority }));
        const inbox = new Inbox();
        await receive(transport, t, inbox, { prefetch: 1 });
        await eventually(() => inbox.deliveries.length === 20, 10_000);
        const got = inbox.deliveries.map((d) => d.envelope.priority);
        expect(got.slice(0, 5)).toEqual(Array(5).fill('critical'));
        expect(got.slice(15)).toEqual(Array(5).fill('low'));
      });
    }
  });
}
