import { randomUUID } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  BusFullError,
  type BusTransport,
  createRedisTransport,
  type Envelope,
  type ReceiveOptions,
  type Receiver,
  type RedisTransportOptions,
  type TransportDelivery,
} from '../../src/bus/index.js';
import { envelope } from '../contract/bus-transport.contract.js';
import { receiveOptions } from '../support/bus-receive.js';
import { eventually } from '../support/collect.js';
import { deletePrefix, keysUnder, REDIS_URL, uniquePrefix } from '../support/redis.js';
import { suiteTitle } from '../support/services.js';

describe.skipIf(!REDIS_URL)(
  suiteTitle('Redis Streams transport, Redis specifics', 'REDIS_URL'),
  () => {
    const url = REDIS_URL ?? '';
    const prefixes: string[] = [];
    const transports: BusTransport[] = [];
    const receivers: Receiver[] = [];
    const raw = new Redis(url, { protocol: 2 });

    afterEach(async () => {
      for (const receiver of receivers.splice(0)) await receiver.close().catch(() => {});
      for (const transport of transports.splice(0)) await transport.close().catch(() => {});
    });
    afterAll(async () => {
      for (const prefix of prefixes) await deletePrefix(url, prefix);
      for (const prefix of prefixes) expect(await keysUnder(url, prefix)).toEqual([]);
      raw.disconnect();
    });

    /** A namespace of its own; `open` makes "instances" of the gateway sharing it. */
    function namespace(extra: Partial<RedisTransportOptions> = {}) {
      const prefix = uniquePrefix('bus-redis');
      prefixes.push(prefix);
      return {
        prefix,
        open(): BusTransport {
          const transport = createRedisTransport({ url, prefix, ...extra });
          transports.push(transport);
          return transport;
        },
        stream: (topic: string) => `${prefix}:${topic}`,
        groupDelayed: (topic: string, group: string) => `${prefix}:${topic}:delayed:${group}`,
      };
    }

    function topic(): string {
      return `redis.t.${randomUUID().slice(0, 8)}`;
    }

    /** Deliveries as handed over; held (not acknowledged) unless `autoAck`. */
    async function receive(
      transport: BusTransport,
      topicName: string,
      options: Partial<ReceiveOptions> = {},
      autoAck = false,
    ): Promise<{ deliveries: TransportDelivery[]; receiver: Receiver }> {
      const deliveries: TransportDelivery[] = [];
      const receiver = await transport.receive(topicName, receiveOptions(options), (delivery) => {
        deliveries.push(delivery);
        if (autoAck) void delivery.ack();
      });
      receivers.push(receiver);
      return { deliveries, receiver };
    }

    const payloads = (deliveries: TransportDelivery[]) => deliveries.map((d) => d.envelope.payload);

    it('lets a second instance take over what a stuck one holds, and ignores the stuck one’s late settling', async () => {
      const space = namespace();
      const t = topic();
      const stuck = await receive(space.open(), t, { visibilityTimeoutMs: 400 });
      const survivor = await receive(space.open(), t, { visibilityTimeoutMs: 400 });
      // Stuck from the start: neither reads nor claims, so only the survivor can take over.
      survivor.receiver.pause();
      const sent = envelope(t, { payload: { job: 7 } });
      await transports[0]!.send([sent]);
      await eventually(() => stuck.deliveries.length === 1, 10_000);
      stuck.receiver.pause();
      survivor.receiver.resume();
      await eventually(() => survivor.deliveries.length === 1, 10_000);
      const [taken] = survivor.deliveries;
      expect(taken?.envelope).toEqual(sent);
      expect(taken?.attempt).toBe(2);

      // The stuck instance wakes up and settles what is no longer its own: nothing happens.
      await stuck.deliveries[0]?.release(0);
      expect(await raw.zcard(space.groupDelayed(t, 'workers'))).toBe(0);
      expect(await transports[1]!.depth(t, 'workers')).toBe(1);
      await taken?.ack();
      expect(await transports[1]!.depth(t, 'workers')).toBe(0);
      expect(await raw.xlen(space.stream(t))).toBe(0);
    });

    it('moves a released message from pending to delayed in one step', async () => {
      const space = namespace();
      const t = topic();
      const transport = space.open();
      const observer = space.open();
      const held = await receive(transport, t, { prefetch: 30 });
      await transport.send(Array.from({ length: 30 }, (_, n) => envelope(t, { payload: { n } })));
      await eventually(() => held.deliveries.length === 30, 10_000);
      await eventually(async () => (await observer.depth(t, 'workers')) === 30, 10_000);

      // Another connection counts while the releases run: a message that had left the pending
      // list without being in the delayed set yet would show as a dip.
      let releasing = true;
      const seen = new Set<number>();
      const watching = (async () => {
        while (releasing) seen.add(await observer.depth(t, 'workers'));
      })();
      await Promise.all(held.deliveries.map((delivery) => delivery.release(60_000)));
      releasing = false;
      await watching;
      expect([...seen]).toEqual([30]);
      expect(await raw.xpending(space.stream(t), 'workers')).toEqual([0, null, null, null]);
      expect(await raw.zcard(space.groupDelayed(t, 'workers'))).toBe(30);
    });

    it('keeps a released message’s attempt across a restart', async () => {
      const space = namespace();
      const t = topic();
      let transport = space.open();
      const first = await receive(transport, t);
      const sent = envelope(t, { payload: 'retry me' });
      await transport.send([sent]);
      await eventually(() => first.deliveries.length === 1, 10_000);
      await first.deliveries[0]?.release(300);
      await first.receiver.close();
      await transport.close();
      expect(await raw.zcard(space.groupDelayed(t, 'workers'))).toBe(1);

      transport = space.open();
      const again = await receive(transport, t, {}, true);
      await eventually(() => again.deliveries.length === 1, 10_000);
      expect(again.deliveries[0]?.envelope).toEqual(sent);
      expect(again.deliveries[0]?.attempt).toBe(2);
    });

    it('gives a released message back only to the group that released it', async () => {
      const space = namespace();
      const t = topic();
      const transport = space.open();
      const retrying = await receive(transport, t, { group: 'retrying' });
      const audit = await receive(transport, t, { group: 'audit' }, true);
      await transport.send([envelope(t, { payload: 'job' })]);
      await eventually(() => retrying.deliveries.length === 1 && audit.deliveries.length === 1);
      await retrying.deliveries[0]?.release(0);
      await eventually(() => retrying.deliveries.length === 2, 10_000);
      expect(retrying.deliveries[1]?.attempt).toBe(2);
      await transport.send([envelope(t, { payload: 'marker' })]);
      await eventually(() => audit.deliveries.length === 2, 10_000);
      expect(payloads(audit.deliveries)).toEqual(['job', 'marker']);
      expect(audit.deliveries.map((d) => d.attempt)).toEqual([1, 1]);
    });

    it('removes an entry from the stream once every group has acknowledged it', async () => {
      const space = namespace();
      const t = topic();
      const transport = space.open();
      const fast = await receive(transport, t, { group: 'fast' }, true);
      const slow = await receive(transport, t, { group: 'slow' });
      await transport.send(Array.from({ length: 5 }, (_, n) => envelope(t, { payload: n })));
      await eventually(() => fast.deliveries.length === 5 && slow.deliveries.length === 5);
      await eventually(async () => (await transport.depth(t, 'fast')) === 0, 10_000);
      expect(await raw.xlen(space.stream(t))).toBe(5);
      for (const delivery of slow.deliveries) await delivery.ack();
      expect(await raw.xlen(space.stream(t))).toBe(0);
      expect(await transport.depth(t, 'slow')).toBe(0);
    });

    it('refuses a batch that would take a topic past its bound, storing none of it', async () => {
      const space = namespace({ maxLen: 3 });
      const t = topic();
      const transport = space.open();
      const group = await receive(transport, t, { prefetch: 1 });
      await transport.send([envelope(t, { payload: 0 }), envelope(t, { payload: 1 })]);
      await expect(
        transport.send([envelope(t, { payload: 2 }), envelope(t, { payload: 3 })]),
      ).rejects.toBeInstanceOf(BusFullError);
      expect(await raw.xlen(space.stream(t))).toBe(2);
      // Scheduled messages count too.
      await transport.send([envelope(t, { payload: 'later', deliverAt: Date.now() + 60_000 })]);
      await expect(transport.send([envelope(t, { payload: 4 })])).rejects.toBeInstanceOf(
        BusFullError,
      );
      await eventually(() => group.deliveries.length === 1, 10_000);
      await group.deliveries[0]?.ack();
      await transport.send([envelope(t, { payload: 5 })]);
      await eventually(() => group.deliveries.length === 2, 10_000);
    });

    it('remembers an idempotency key for its window only', async () => {
      const space = namespace({ idempotencyWindowMs: 300 });
      const t = topic();
      const transport = space.open();
      const inbox = await receive(transport, t, {}, true);
      const keyed = (payload: string): Envelope =>
        envelope(t, { idempotencyKey: 'order:42', payload });
      expect(await transport.send([keyed('first')])).toMatchObject([{ duplicate: false }]);
      const ttl = await raw.pttl(`${space.prefix}:idem:${t}:order:42`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(300);
      // Repeats inside the window are dropped; the first one after it is stored.
      await eventually(
        async () => !(await transport.send([keyed('after the window')]))[0]?.duplicate,
        10_000,
      );
      await eventually(() => inbox.deliveries.length === 2, 10_000);
      expect(payloads(inbox.deliveries)).toEqual(['first', 'after the window']);
    });

    it('delivers a message scheduled by an instance that has gone since', async () => {
      const space = namespace({ delayPollMs: 100 });
      const t = topic();
      const consumer = await receive(space.open(), t, {}, true);
      const sender = space.open();
      const deliverAt = Date.now() + 300;
      await sender.send([envelope(t, { payload: 'scheduled', deliverAt })]);
      await sender.close();
      await eventually(() => consumer.deliveries.length === 1, 10_000);
      expect(Date.now()).toBeGreaterThanOrEqual(deliverAt);
      expect(consumer.deliveries[0]?.envelope.deliverAt).toBe(deliverAt);
    });

    it('gives the first group what was sent before any group, and a later group only what follows', async () => {
      const space = namespace();
      const t = topic();
      const transport = space.open();
      await transport.send([envelope(t, { payload: 'early' })]);
      expect(await transport.depth(t, 'first')).toBe(1);
      const first = await receive(transport, t, { group: 'first' }, true);
      await eventually(() => first.deliveries.length === 1, 10_000);
      const later = await receive(transport, t, { group: 'later' }, true);
      await transport.send([envelope(t, { payload: 'marker' })]);
      await eventually(() => later.deliveries.length === 1 && first.deliveries.length === 2);
      expect(payloads(later.deliveries)).toEqual(['marker']);
    });

    it('keeps keys of topics and groups apart whatever characters their names hold', async () => {
      const space = namespace();
      const transport = space.open();
      const plain = await receive(transport, 'orders', { group: 'g' }, true);
      const tricky = await receive(transport, 'orders:delayed', { group: 'g' }, true);
      await transport.send([envelope('orders:delayed', { payload: 'tricky' })]);
      await transport.send([envelope('orders', { payload: 'plain' })]);
      await eventually(() => plain.deliveries.length === 1 && tricky.deliveries.length === 1);
      expect(payloads(plain.deliveries)).toEqual(['plain']);
      expect(payloads(tricky.deliveries)).toEqual(['tricky']);
    });

    it('reports PING timing when healthy and the failure when the server is unreachable', async () => {
      const healthy = await namespace().open().health();
      expect(healthy).toMatchObject({ ok: true });
      expect(healthy.detail).toMatch(/PING \d+(\.\d+)? ms/);
      const unreachable = createRedisTransport({
        url: 'redis://127.0.0.1:1',
        prefix: uniquePrefix('nowhere'),
      });
      transports.push(unreachable);
      expect(await unreachable.health()).toMatchObject({ ok: false });
    });

    it('closes while its server is unreachable', async () => {
      const proxy = await redisProxy(url);
      const space = namespace();
      const transport = createRedisTransport({ url: proxy.url, prefix: space.prefix });
      transports.push(transport);
      const t = topic();
      const inbox = await receive(transport, t, {}, true);
      await transport.send([envelope(t)]);
      await eventually(() => inbox.deliveries.length === 1, 10_000);
      await proxy.cut();
      // Every connection now reconnects in vain; nothing may wait for an answer for ever.
      await inbox.receiver.close();
      await transport.close();
      expect(await transport.health()).toEqual({ ok: false, detail: 'closed' });
    });
  },
);

/** A loopback TCP proxy to Redis that a test can cut, as if the server had gone away. */
async function redisProxy(target: string): Promise<{ url: string; cut(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port || 6379), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    url: `redis://127.0.0.1:${address.port}`,
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
