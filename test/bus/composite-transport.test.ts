import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CompositeRoutesSchema,
  createCompositeTransport,
  createMemoryTransport,
  type Envelope,
  MemoryBroker,
  type TransportDelivery,
} from '../../src/bus/index.js';
import { eventually } from '../support/collect.js';

function envelope(topic: string, tenant?: string): Envelope {
  return {
    id: randomUUID(),
    topic,
    payload: topic,
    priority: 'normal',
    headers: tenant ? { tenant } : {},
    publishedAt: Date.now(),
  };
}

const receive = { group: 'g', consumer: 'c', prefetch: 10, visibilityTimeoutMs: 30_000 };

describe('the composite transport', () => {
  it('routes by topic and tenant to the first match, else to the default', async () => {
    const [db, redis, nats] = [new MemoryBroker(), new MemoryBroker(), new MemoryBroker()];
    const routes = CompositeRoutesSchema.parse({
      routes: [
        { topics: ['push.*'], tenants: ['acme'], adapter: 'nats' },
        { topics: ['push.*'], adapter: 'redis' },
      ],
      default: 'database',
    });
    const composite = createCompositeTransport(routes, {
      database: createMemoryTransport(db),
      redis: createMemoryTransport(redis),
      nats: createMemoryTransport(nats),
    });
    const got: TransportDelivery[] = [];
    for (const topic of ['push.deliver', 'tasks.run']) {
      await composite.receive(topic, receive, (d) => {
        got.push(d);
        void d.ack();
      });
    }
    // Observers on each broker, a group of their own: who holds what.
    const held = new Map<MemoryBroker, string[]>();
    for (const broker of [db, redis, nats]) {
      held.set(broker, []);
      for (const topic of ['push.deliver', 'tasks.run']) {
        await createMemoryTransport(broker).receive(
          topic,
          { ...receive, group: 'observer' },
          (d) => {
            held.get(broker)?.push(`${d.envelope.topic}/${d.envelope.headers.tenant}`);
            void d.ack();
          },
        );
      }
    }
    await composite.send([
      envelope('push.deliver', 'acme'),
      envelope('push.deliver', 'globex'),
      envelope('tasks.run', 'acme'),
    ]);
    await eventually(() => got.length === 3, 5_000);
    await eventually(() => [...held.values()].flat().length === 3, 5_000);
    expect(held.get(nats)).toEqual(['push.deliver/acme']);
    expect(held.get(redis)).toEqual(['push.deliver/globex']);
    expect(held.get(db)).toEqual(['tasks.run/acme']);
    const { ok, detail } = await composite.health();
    expect(ok).toBe(true);
    for (const name of ['database', 'redis', 'nats']) expect(detail).toContain(`${name}: ok`);
    await composite.close();
  });

  it('fans out to the default and every matching adapter; its consumers read the default', async () => {
    const [db, audit] = [new MemoryBroker(), new MemoryBroker()];
    const composite = createCompositeTransport(
      CompositeRoutesSchema.parse({
        strategy: 'fan-out',
        routes: [{ topics: ['*'], adapter: 'audit' }],
        default: 'database',
      }),
      { database: createMemoryTransport(db), audit: createMemoryTransport(audit) },
    );
    const mirror = createMemoryTransport(audit);
    const mirrored: unknown[] = [];
    await mirror.receive('tasks.run', receive, (d) => {
      mirrored.push(d.envelope.payload);
      void d.ack();
    });
    const own: unknown[] = [];
    await composite.receive('tasks.run', receive, (d) => {
      own.push(d.envelope.payload);
      void d.ack();
    });
    await composite.send([envelope('tasks.run')]);
    await eventually(() => own.length === 1 && mirrored.length === 1, 5_000);
    await composite.close();
  });

  it('refuses routes that name an adapter it does not have', () => {
    expect(() =>
      createCompositeTransport(
        CompositeRoutesSchema.parse({
          routes: [{ topics: ['*'], adapter: 'kafka' }],
          default: 'a',
        }),
        { a: createMemoryTransport() },
      ),
    ).toThrow(/kafka/);
  });
});
