import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import { rpc, startTestGateway, type TestGateway, userMessage } from '../support/gateway.js';

// A forced collection, so heap figures compare live objects, not garbage not yet collected.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Streams of each kind to open and drop (10,000 in all): a leak per stream shows in the heap. */
const STREAMS_PER_KIND = 2_500;
const IN_FLIGHT = 64;

/**
 * Every kind of SSE stream, opened and dropped by its client many times over: what each one
 * held (subscription, feed listener, shutdown listener, heap) must be given back.
 */
describe('SSE streams give back everything they hold when clients leave', () => {
  let gateway: TestGateway;
  let endpoint: string;
  let idleTask: { id: string };
  let idlePosition: string;

  beforeAll(async () => {
    gateway = await startTestGateway();
    endpoint = `${gateway.url}/agents/echo`;
    idleTask = (await send('SendMessage', { message: userMessage('/input') })).result.task;
    const timeline = (await (await fetch(`${gateway.url}/tasks/${idleTask.id}/events`)).json()) as {
      events: { position: number }[];
    };
    idlePosition = String(timeline.events.at(-1)!.position);
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  let ids = 0;
  async function send(method: string, params: unknown) {
    return (await rpc(endpoint, { jsonrpc: '2.0', id: ++ids, method, params })).body;
  }

  /** Opens a stream, waits for its headers (and first chunk when asked), then drops it. */
  async function openAndDrop(
    url: string,
    init: { method: 'GET' | 'POST'; body?: unknown; headers?: Record<string, string> },
    readFirst: boolean,
  ): Promise<void> {
    const controller = new AbortController();
    const response = await fetch(url, {
      method: init.method,
      headers: {
        accept: 'text/event-stream',
        ...(init.body ? { 'content-type': 'application/json', 'a2a-version': '1.0' } : {}),
        ...init.headers,
      },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    if (readFirst) await response.body!.getReader().read();
    controller.abort();
  }

  const kinds = {
    'SendStreamingMessage to the end': () =>
      openAndDrop(
        endpoint,
        {
          method: 'POST',
          body: {
            jsonrpc: '2.0',
            id: 1,
            method: 'SendStreamingMessage',
            params: { message: userMessage('hi') },
          },
        },
        true,
      ),
    'SubscribeToTask on an idle task': () =>
      openAndDrop(
        endpoint,
        {
          method: 'POST',
          body: { jsonrpc: '2.0', id: 1, method: 'SubscribeToTask', params: { id: idleTask.id } },
        },
        true,
      ),
    'SubscribeToTask resumed with Last-Event-ID on an idle task': () =>
      openAndDrop(
        endpoint,
        {
          method: 'POST',
          body: { jsonrpc: '2.0', id: 1, method: 'SubscribeToTask', params: { id: idleTask.id } },
          headers: { 'last-event-id': idlePosition },
        },
        false,
      ),
    'the audit stream of an idle task': () =>
      openAndDrop(`${gateway.url}/tasks/${idleTask.id}/events`, { method: 'GET' }, true),
  };

  async function many(open: () => Promise<void>, count: number): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < count) {
          next += 1;
          await open();
        }
      }),
    );
  }

  const settled = () => {
    const { subscriptions, liveListeners, openStreams, runningTasks } = gateway.gateway.stats();
    return { subscriptions, liveListeners, openStreams, runningTasks };
  };

  it('frees a resumed SubscribeToTask at once when its client leaves, with no event to come', async () => {
    const baseline = settled();
    await kinds['SubscribeToTask resumed with Last-Event-ID on an idle task']();
    await eventually(() => settled().subscriptions === baseline.subscriptions, 5_000);
    expect(settled()).toEqual(baseline);
  });

  it('returns to its baseline after 10,000 streams of every kind', async () => {
    // Warm up every path first, so what the heap holds after is a leak, not a first use.
    for (const open of Object.values(kinds)) await many(open, 500);
    await eventually(() => settled().openStreams === 0 && settled().runningTasks === 0, 20_000);
    const baseline = settled();
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;

    for (const open of Object.values(kinds)) await many(open, STREAMS_PER_KIND);

    await eventually(() => {
      const now = settled();
      return now.subscriptions === baseline.subscriptions && now.openStreams === 0;
    }, 30_000);
    await eventually(() => settled().runningTasks === 0, 30_000);
    expect(settled()).toEqual(baseline);
    collectGarbage();
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    // 10,000 streams that each kept a few KiB would hold tens of MiB.
    expect(grownMiB).toBeLessThan(16);
  }, 300_000);
});
