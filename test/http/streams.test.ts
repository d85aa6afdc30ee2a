import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import { rpc, startTestGateway, type TestGateway, userMessage } from '../support/gateway.js';
import { readSse } from '../support/sse.js';

describe('SSE streams: resume, fan-out, heartbeats and cleanup', () => {
  let gateway: TestGateway;
  let endpoint: string;
  beforeAll(async () => {
    gateway = await startTestGateway();
    endpoint = `${gateway.url}/agents/echo`;
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  const streamRequest = (method: string, params: unknown) => ({
    jsonrpc: '2.0',
    id: 7,
    method,
    params,
  });

  it('gives every SSE event its store position as id, and each data line one JSON-RPC envelope', async () => {
    const read = await readSse(endpoint, {
      body: streamRequest('SendStreamingMessage', { message: userMessage('/stream 3') }),
    });
    expect(read.contentType).toContain('text/event-stream');
    const ids = read.events.map((event) => Number(event.id));
    expect(ids.every(Number.isSafeInteger)).toBe(true);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(read.data.every((envelope) => envelope.jsonrpc === '2.0' && envelope.id === 7)).toBe(
      true,
    );
    expect(Object.keys(read.data[0].result)).toEqual(['task']);
    expect(read.data.at(-1).result.statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('resumes with Last-Event-ID exactly after the last event seen: none missed, none twice', async () => {
    const task = (
      await rpc(endpoint, streamRequest('SendMessage', { message: userMessage('/input') }))
    ).body.result.task;
    // A first subscriber sees the task, then the updates of a follow-up, then drops.
    const following = gateway.gateway.stats().subscriptions;
    const first = readSse(
      endpoint,
      { body: streamRequest('SubscribeToTask', { id: task.id }) },
      { stopAfter: 3 },
    );
    await eventually(() => gateway.gateway.stats().subscriptions > following);
    await rpc(
      endpoint,
      streamRequest('SendMessage', { message: userMessage('/stream 6', { taskId: task.id }) }),
    );
    const seen = (await first).events.slice(0, 3);
    const lastSeen = seen.at(-1)!.id!;

    const resumed = await readSse(endpoint, {
      body: streamRequest('SubscribeToTask', { id: task.id }),
      headers: { 'last-event-id': lastSeen },
    });
    const timeline = (await (await fetch(`${gateway.url}/tasks/${task.id}/events`)).json()) as {
      events: { position: number; type: string }[];
    };
    const visible = timeline.events.filter(
      (event) => event.type !== 'task.execution_started' && event.position > Number(lastSeen),
    );
    expect(resumed.events.map((event) => Number(event.id))).toEqual(
      visible.map((event) => event.position),
    );
    expect(resumed.data.at(-1).result.statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');
    const all = [...seen, ...resumed.events].map((event) => event.id);
    expect(new Set(all).size).toBe(all.length);
  });

  it('sends several subscribers of one task the same events in the same order', async () => {
    const task = (
      await rpc(endpoint, streamRequest('SendMessage', { message: userMessage('/input') }))
    ).body.result.task;
    const following = gateway.gateway.stats().subscriptions;
    const readers = Array.from({ length: 3 }, () =>
      readSse(endpoint, { body: streamRequest('SubscribeToTask', { id: task.id }) }),
    );
    await eventually(() => gateway.gateway.stats().subscriptions >= following + 3);
    await rpc(
      endpoint,
      streamRequest('SendMessage', { message: userMessage('/stream 2', { taskId: task.id }) }),
    );
    const reads = await Promise.all(readers);
    const bodies = reads.map((read) => read.events.map((event) => event.data));
    expect(bodies[0]!.length).toBeGreaterThan(3);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it('keeps an idle stream open with heartbeat comments', async () => {
    const task = (
      await rpc(endpoint, streamRequest('SendMessage', { message: userMessage('/input') }))
    ).body.result.task;
    const read = await readSse(
      endpoint,
      { body: streamRequest('SubscribeToTask', { id: task.id }) },
      { timeoutMs: 1_300 },
    );
    expect(read.events).toHaveLength(1);
    expect(
      read.comments.filter((comment) => comment.includes('keep-alive')).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('frees every subscription and listener when 1,000 clients drop their streams', async () => {
    const { store } = gateway.gateway;
    const task = (
      await rpc(endpoint, streamRequest('SendMessage', { message: userMessage('/input') }))
    ).body.result.task;
    const baseline = store.stats();
    const controllers = Array.from({ length: 1_000 }, () => new AbortController());
    const opened = await Promise.all(
      controllers.map(async (controller) => {
        const response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
          body: JSON.stringify(streamRequest('SubscribeToTask', { id: task.id })),
          signal: controller.signal,
        });
        // Read the first event so the stream is really open and following.
        await response.body!.getReader().read();
        return response;
      }),
    );
    expect(opened.every((response) => response.status === 200)).toBe(true);
    await eventually(() => store.stats().subscriptions >= baseline.subscriptions + 1_000, 20_000);
    for (const controller of controllers) controller.abort();
    await eventually(() => {
      const now = store.stats();
      return (
        now.subscriptions === baseline.subscriptions && now.liveListeners === baseline.liveListeners
      );
    }, 20_000);
    expect(store.stats()).toEqual(baseline);
  }, 60_000);
});
