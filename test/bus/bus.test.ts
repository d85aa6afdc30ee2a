import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BusBackpressureError,
  type BusMessage,
  BusPublishRefused,
  type BusTransport,
  type ConsumerOptions,
  createBus,
  createMemoryTransport,
  DEAD_LETTER_EVENT_TYPES,
  enrichHeaders,
  type GatewayBus,
  MemoryBroker,
  PermanentFailure,
  registerDeadLetterEvents,
  type TimingSample,
  timing,
  validatePayloads,
} from '../../src/bus/index.js';
import { createEventRegistry } from '../../src/events/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createMemoryEventStore, type EventStore } from '../../src/store/index.js';
import { eventually } from '../support/collect.js';

const quiet = createLogger({ level: 'silent' });
const fast: ConsumerOptions['retry'] = { kind: 'fixed', delayMs: 20, maxAttempts: 3 };

describe('the bus over a transport', () => {
  const buses: GatewayBus[] = [];
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close(1_000);
  });

  function open(
    options: { broker?: MemoryBroker; store?: EventStore } & Partial<
      Parameters<typeof createBus>[1]
    > = {},
  ): { bus: GatewayBus; store: EventStore } {
    const store =
      options.store ??
      createMemoryEventStore({ registry: registerDeadLetterEvents(createEventRegistry()) });
    const bus = createBus(createMemoryTransport(options.broker), { log: quiet, ...options, store });
    buses.push(bus);
    return { bus, store };
  }

  it('hands a message to its handler with the headers middleware added', async () => {
    const { bus } = open({
      middleware: [enrichHeaders(() => ({ 'correlation-id': 'corr-1', tenant: undefined }))],
    });
    const got: BusMessage[] = [];
    await bus.subscribe('jobs', async (m) => void got.push(m), { group: 'g' });
    const receipt = await bus.publish({
      topic: 'jobs',
      payload: { a: 1 },
      headers: { tenant: 't1' },
    });
    await eventually(() => got.length === 1, 5_000);
    expect(got[0]).toMatchObject({
      id: receipt.id,
      payload: { a: 1 },
      attempt: 1,
      priority: 'normal',
      headers: { 'correlation-id': 'corr-1', tenant: 't1' },
    });
  });

  it('retries a failing handler per its policy, and records each transition as an event', async () => {
    const { bus, store } = open();
    const attempts: number[] = [];
    await bus.subscribe(
      'jobs',
      async (m) => {
        attempts.push(m.attempt);
        if (m.attempt < 3) throw new Error(`flaky ${m.attempt}`);
      },
      { group: 'g', retry: fast },
    );
    const { id } = await bus.publish({ topic: 'jobs', payload: 'x' });
    await eventually(
      async () => (await bus.deadLetters.get(`g:${id}`))?.state === 'resolved',
      5_000,
    );
    expect(attempts).toEqual([1, 2, 3]);
    const types = (await store.readStream(`dead-letter-g:${id}`)).map((e) => e.type);
    const t = DEAD_LETTER_EVENT_TYPES;
    expect(types).toEqual([t.failed, t.retryStarted, t.failed, t.retryStarted, t.succeeded]);
  });

  it('dead-letters after the last attempt; an operator retries it, then purges what fails again', async () => {
    const { bus } = open();
    let healthy = false;
    const handled: number[] = [];
    await bus.subscribe(
      'jobs',
      async (m) => {
        handled.push(m.attempt);
        if (!healthy) throw new Error('receiver down');
      },
      { group: 'g', retry: fast },
    );
    const { id } = await bus.publish({ topic: 'jobs', payload: 'x' });
    const entryId = `g:${id}`;
    await eventually(
      async () => (await bus.deadLetters.get(entryId))?.state === 'permanent_failure',
      5_000,
    );
    const [entry] = await bus.deadLetters.list();
    expect(entry).toMatchObject({ id: entryId, attempts: 3, lastError: 'Error: receiver down' });
    expect(await bus.depth('jobs', 'g')).toBe(0);

    healthy = true;
    await bus.deadLetters.retry(entryId, 'operator');
    await eventually(async () => (await bus.deadLetters.get(entryId))?.state === 'resolved', 5_000);
    expect(handled).toEqual([1, 2, 3, 1]);
    await expect(bus.deadLetters.retry(entryId, 'operator')).rejects.toThrow(/resolved/);
    expect(await bus.deadLetters.list()).toEqual([]);
    await bus.deadLetters.purge(entryId, 'operator');
    expect((await bus.deadLetters.get(entryId))?.state).toBe('purged');
  });

  it('dead-letters a permanent failure at once, and a batch retry sends it to its own group only', async () => {
    const { bus } = open();
    const seen: string[] = [];
    let refuse = true;
    await bus.subscribe(
      'jobs',
      async () => {
        seen.push('a');
        if (refuse) throw new PermanentFailure('400 from the receiver');
      },
      { group: 'a', retry: fast },
    );
    await bus.subscribe('jobs', async () => void seen.push('b'), { group: 'b' });
    await bus.publish({ topic: 'jobs', payload: 1 });
    await eventually(async () => (await bus.deadLetters.list()).length === 1, 5_000);
    expect((await bus.deadLetters.list())[0]).toMatchObject({ attempts: 1, group: 'a' });
    refuse = false;
    expect(await bus.deadLetters.retryBatch({ group: 'a' }, 'operator')).toHaveLength(1);
    await eventually(() => seen.filter((s) => s === 'a').length === 2, 5_000);
    await eventually(async () => (await bus.depth('jobs', 'b')) === 0, 5_000);
    expect(seen.filter((s) => s === 'b')).toHaveLength(1);
  });

  it('never runs two messages of one key at once, and keeps their order', async () => {
    const { bus } = open();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await bus.subscribe<number>(
      'jobs',
      async (m) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => setImmediate(resolve));
        order.push(m.payload);
        running -= 1;
      },
      { group: 'g', concurrency: 8 },
    );
    await bus.publishBatch(
      Array.from({ length: 20 }, (_, n) => ({ topic: 'jobs', payload: n, key: 'task-1' })),
    );
    await eventually(() => order.length === 20, 5_000);
    expect(most).toBe(1);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('serves a LOW message while a flood of HIGH goes on (aging)', async () => {
    const { bus } = open({ broker: new MemoryBroker({ agingMs: 50 }) });
    const handled: string[] = [];
    await bus.subscribe<string>(
      'jobs',
      async (m) => {
        handled.push(m.payload);
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
      { group: 'g', concurrency: 1, agingMs: 50 },
    );
    await bus.publishBatch(
      Array.from({ length: 50 }, () => ({
        topic: 'jobs',
        payload: 'high',
        priority: 'high' as const,
      })),
    );
    await bus.publish({ topic: 'jobs', payload: 'low', priority: 'low' });
    // Keep HIGH coming faster than the consumer handles them until LOW is served (bounded).
    const deadline = Date.now() + 10_000;
    while (!handled.includes('low') && Date.now() < deadline) {
      await bus.publishBatch(
        Array.from({ length: 5 }, () => ({
          topic: 'jobs',
          payload: 'high',
          priority: 'high' as const,
        })),
      );
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(handled).toContain('low');
    expect(await bus.depth('jobs', 'g')).toBeGreaterThan(0);
  });

  it('hands urgent messages over first', async () => {
    const { bus } = open();
    const handled: string[] = [];
    const consumer = await bus.subscribe<string>(
      'jobs',
      async (m) => void handled.push(m.payload),
      {
        group: 'g',
        concurrency: 1,
      },
    );
    consumer.pause();
    await bus.publishBatch(
      Array.from({ length: 5 }, () => ({
        topic: 'jobs',
        payload: 'low',
        priority: 'low' as const,
      })),
    );
    await bus.publishBatch(
      Array.from({ length: 5 }, () => ({
        topic: 'jobs',
        payload: 'critical',
        priority: 'critical' as const,
      })),
    );
    consumer.resume();
    await eventually(() => handled.length === 10, 5_000);
    expect(handled.slice(0, 5)).toEqual(Array(5).fill('critical'));
  });

  it('drops a repeated idempotency key and delays by `delayMs`', async () => {
    const { bus } = open();
    const got: BusMessage[] = [];
    await bus.subscribe('jobs', async (m) => void got.push(m), { group: 'g' });
    const first = await bus.publish({
      topic: 'jobs',
      payload: 1,
      idempotencyKey: 'k',
      delayMs: 200,
    });
    const again = await bus.publish({ topic: 'jobs', payload: 2, idempotencyKey: 'k' });
    expect(again).toEqual({ id: first.id, duplicate: true });
    await eventually(() => got.length === 1, 5_000);
    expect(Date.now() - (got[0]?.publishedAt ?? 0)).toBeGreaterThanOrEqual(190);
  });

  it('refuses what middleware refuses, sending nothing', async () => {
    const { bus } = open({ middleware: [validatePayloads({ jobs: z.object({ n: z.number() }) })] });
    await bus.subscribe('jobs', async () => {}, { group: 'g' });
    await expect(bus.publish({ topic: 'jobs', payload: { n: 'one' } })).rejects.toBeInstanceOf(
      BusPublishRefused,
    );
    expect(await bus.depth('jobs', 'g')).toBe(0);
  });

  it('makes publishers wait, then refuses them clearly, when the queue is full', async () => {
    const { bus } = open({ broker: new MemoryBroker({ maxDepth: 10 }), publishTimeoutMs: 150 });
    const consumer = await bus.subscribe('jobs', async () => {}, { group: 'g' });
    consumer.pause();
    await bus.publishBatch(Array.from({ length: 10 }, (_, n) => ({ topic: 'jobs', payload: n })));
    await expect(bus.publish({ topic: 'jobs', payload: 'one more' })).rejects.toBeInstanceOf(
      BusBackpressureError,
    );
    // Room made while a publisher waits lets it through.
    const waiting = bus.publish({ topic: 'jobs', payload: 'waits' });
    consumer.resume();
    await expect(waiting).resolves.toMatchObject({ duplicate: false });
  });

  it('queues publishers beyond the bound in order, and refuses at once beyond the waiting bound', async () => {
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const inner = createMemoryTransport();
    const order: number[] = [];
    const slow: BusTransport = {
      ...inner,
      async send(envelopes) {
        await gate;
        order.push(...envelopes.map((e) => e.payload as number));
        return inner.send(envelopes);
      },
    };
    const store = createMemoryEventStore({
      registry: registerDeadLetterEvents(createEventRegistry()),
    });
    const bus = createBus(slow, {
      store,
      log: quiet,
      maxPendingPublishes: 1,
      maxWaitingPublishes: 2,
    });
    buses.push(bus);
    const accepted = [1, 2, 3].map((n) => bus.publish({ topic: 'jobs', payload: n }));
    await expect(bus.publish({ topic: 'jobs', payload: 4 })).rejects.toThrow(
      /2 publishers waiting/,
    );
    open();
    await Promise.all(accepted);
    expect(order).toEqual([1, 2, 3]);
  });

  it('drains on close: a running handler finishes, what waits goes back to the queue', async () => {
    const broker = new MemoryBroker();
    const { bus } = open({ broker });
    buses.splice(buses.indexOf(bus), 1);
    let finished = 0;
    let started = 0;
    let letFinish = () => {};
    const gate = new Promise<void>((resolve) => {
      letFinish = resolve;
    });
    await bus.subscribe(
      'jobs',
      async () => {
        started += 1;
        await gate;
        finished += 1;
      },
      { group: 'g', concurrency: 1 },
    );
    await bus.publishBatch(Array.from({ length: 3 }, (_, n) => ({ topic: 'jobs', payload: n })));
    await eventually(() => started === 1, 5_000);
    let closed = false;
    const closing = bus.close(5_000).then(() => {
      closed = true;
    });
    // Still running: close waits for it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    letFinish();
    await closing;
    expect(finished).toBe(started);
    const { bus: next } = open({ broker });
    expect(await next.depth('jobs', 'g')).toBe(3 - finished);
  });

  it('times both sides', async () => {
    const samples: TimingSample[] = [];
    const { bus } = open({ middleware: [timing((s) => samples.push(s))] });
    await bus.subscribe('jobs', async () => {}, { group: 'g' });
    await bus.publish({ topic: 'jobs', payload: 1 });
    await eventually(() => samples.some((s) => s.side === 'consume'), 5_000);
    expect(samples.map((s) => s.side).sort()).toEqual(['consume', 'publish']);
    expect(samples.every((s) => s.ok && s.ms >= 0)).toBe(true);
  });
});
