import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBus,
  createMemoryTransport,
  type GatewayBus,
  PermanentFailure,
  registerDeadLetterEvents,
} from '../../src/bus/index.js';
import { createEventRegistry } from '../../src/events/index.js';
import { createApp, type RunningServer, startHttpServer } from '../../src/http/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createMemoryEventStore } from '../../src/store/index.js';
import { eventually } from '../support/collect.js';

describe('/admin/dead-letters over HTTP', () => {
  const logger = createLogger({ level: 'silent' });
  const store = createMemoryEventStore({
    registry: registerDeadLetterEvents(createEventRegistry()),
  });
  let bus: GatewayBus;
  let server: RunningServer;
  let healthy = false;
  const handled: string[] = [];

  beforeAll(async () => {
    bus = createBus(createMemoryTransport(), { store, log: logger });
    await bus.subscribe<string>(
      'push.deliver',
      async (m) => {
        if (!healthy) throw new PermanentFailure(`receiver refused ${m.payload}`);
        handled.push(m.payload);
      },
      { group: 'push' },
    );
    server = await startHttpServer(createApp({ store, storeKind: 'memory', logger, bus }), {
      host: '127.0.0.1',
      port: 0,
    });
  });
  afterAll(async () => {
    await server?.close(1_000);
    await bus?.close(1_000);
  });

  const call = async (method: string, path: string) => {
    const response = await fetch(`${server.url}${path}`, { method });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('lists, shows, retries and purges, saying why when it cannot', async () => {
    for (const payload of ['a', 'b']) await bus.publish({ topic: 'push.deliver', payload });
    await eventually(async () => (await bus.deadLetters.list()).length === 2, 5_000);

    const list = await call(
      'GET',
      '/admin/dead-letters?state=permanent_failure&topic=push.deliver',
    );
    expect(list.status).toBe(200);
    const entries = list.body.deadLetters as {
      id: string;
      lastError: string;
      payloadBytes: number;
    }[];
    expect(entries).toHaveLength(2);
    expect(entries[0]?.lastError).toMatch(/PermanentFailure: receiver refused/);
    expect(entries[0]?.payloadBytes).toBe(3);
    const [first, second] = entries.map((e) => e.id);

    const shown = await call('GET', `/admin/dead-letters/${first}`);
    expect(shown.body).toMatchObject({
      id: first,
      state: 'permanent_failure',
      envelope: { topic: 'push.deliver' },
    });
    expect((await call('GET', '/admin/dead-letters/push:nope')).status).toBe(404);
    expect((await call('GET', '/admin/dead-letters?state=exploded')).status).toBe(400);

    healthy = true;
    expect((await call('POST', `/admin/dead-letters/${first}/retry`)).status).toBe(200);
    await eventually(async () => (await bus.deadLetters.get(first!))?.state === 'resolved', 5_000);
    // A resolved entry cannot be retried again: 409 naming its state.
    const again = await call('POST', `/admin/dead-letters/${first}/retry`);
    expect(again).toMatchObject({ status: 409, body: { error: 'conflict' } });

    const purged = await call('POST', '/admin/dead-letters/purge?topic=push.deliver');
    expect((purged.body.purged as { id: string }[]).map((e) => e.id)).toEqual([second]);
    expect((await call('DELETE', `/admin/dead-letters/${first}`)).body).toMatchObject({
      state: 'purged',
    });
    expect((await call('GET', '/admin/dead-letters')).body).toEqual({ deadLetters: [] });
    expect(handled).toEqual(['a']);
  });

  it('reports the bus in /healthz', async () => {
    const health = await call('GET', '/healthz');
    expect(health.body.bus).toMatchObject({
      ok: true,
      kind: 'memory',
      consumers: [{ topic: 'push.deliver', group: 'push', paused: false }],
    });
  });
});
