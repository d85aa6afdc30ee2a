import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAsOf, taskAsOf, taskAt, taskStreamId } from '../../src/tasks/index.js';
import {
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { aStore } from '../support/task-builders.js';
import { aMessage } from '../support/task-spec.js';

describe('as of: a task computed from its events at a time or position', () => {
  it('reads digits as a position and a zoned ISO time as a time, nothing else', () => {
    expect(parseAsOf('42')).toEqual({ position: 42 });
    expect(parseAsOf('2026-12-01T10:00:00Z')).toEqual({ time: new Date('2026-12-01T10:00:00Z') });
    expect(parseAsOf('2026-12-01T10:00:00.123+02:00')).toEqual({
      time: new Date('2026-12-01T08:00:00.123Z'),
    });
    for (const bad of [
      '',
      'yesterday',
      '2026-12-01',
      '2026-12-01T10:00:00',
      '-1',
      '1e3',
      '99999999999999999',
      '2026-13-45T99:00:00Z',
    ])
      expect(parseAsOf(bad), bad).toBeUndefined();
  });

  it('folds from the snapshot when it is not newer than the point, and from the start when it is', async () => {
    const store = aStore();
    const stream = taskStreamId('long');
    await store.append(stream, [
      {
        type: 'task.submitted',
        data: {
          taskId: 'long',
          contextId: 'c',
          agent: 'echo',
          message: aMessage({ taskId: 'long', contextId: 'c' }),
        },
      },
    ]);
    for (let i = 0; i < 149; i++) {
      await store.append(stream, [
        {
          type: 'task.message_received',
          data: { message: aMessage({ taskId: 'long', contextId: 'c', messageId: `m-${i}` }) },
        },
      ]);
    }
    const events = await store.readStream(stream);
    expect(events).toHaveLength(150);
    const atHundred = (await taskAt(store, 'long', events[99]!.globalPosition))!;
    // A snapshot whose state is marked, so a fold that used it can be told from one that did not.
    await store.saveSnapshot(stream, 100, { ...atHundred, runner: 'from-snapshot' });

    const late = await taskAsOf(store, 'long', { position: events[129]!.globalPosition });
    expect(late?.task.version).toBe(130);
    expect(late?.task.runner).toBe('from-snapshot');
    expect(late?.task.history).toHaveLength(130);
    expect(late?.position).toBe(events[129]!.globalPosition);
    expect(late?.time).toBe(events[129]!.timestamp);

    const exact = await taskAsOf(store, 'long', { position: events[99]!.globalPosition });
    expect(exact?.task.version).toBe(100);
    expect(exact?.task.runner).toBe('from-snapshot');

    const early = await taskAsOf(store, 'long', { position: events[49]!.globalPosition });
    expect(early?.task.version).toBe(50);
    expect(early?.task.runner).toBeUndefined();
    expect(early?.task).toEqual(await taskAt(store, 'long', events[49]!.globalPosition));

    const now = await taskAsOf(store, 'long');
    expect(now?.task.version).toBe(150);
    expect(now?.position).toBe(events[149]!.globalPosition);

    expect(
      await taskAsOf(store, 'long', { position: events[0]!.globalPosition - 1 }),
    ).toBeUndefined();
    expect(await taskAsOf(store, 'absent')).toBeUndefined();
    expect(
      await taskAsOf(store, 'long', { time: new Date(Date.parse(events[0]!.timestamp) - 1) }),
    ).toBeUndefined();
  });
});

describe('GET /tasks/{id}?asOf', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  const send = (path: string, params: unknown) =>
    rpc(`${gateway.url}${path}`, { jsonrpc: '2.0', id: 1, method: 'SendMessage', params });
  const get = async (path: string) => {
    const response = await fetch(`${gateway.url}${path}`);
    return { status: response.status, body: (await response.json()) as JsonBody };
  };

  it('answers the task at every position of its timeline, and now without asOf', async () => {
    const task = (await send('/acme/agents/echo', { message: userMessage('/input') })).body.result
      .task;
    await send('/acme/agents/echo', { message: userMessage('the answer', { taskId: task.id }) });
    const { events } = (await get(`/acme/tasks/${task.id}/events`)).body as {
      events: { position: number; timestamp: string; type: string }[];
    };
    expect(events.length).toBeGreaterThan(4);

    const current = await get(`/acme/tasks/${task.id}`);
    expect(current.status).toBe(200);
    const getTask = await rpc(`${gateway.url}/acme/agents/echo`, {
      jsonrpc: '2.0',
      id: 2,
      method: 'GetTask',
      params: { id: task.id },
    });
    expect(current.body).toEqual({
      task: getTask.body.result,
      position: String(events.at(-1)!.position),
      time: events.at(-1)!.timestamp,
    });

    const seen: string[] = [];
    for (const event of events) {
      const at = await get(`/acme/tasks/${task.id}?asOf=${event.position}`);
      expect(at.status).toBe(200);
      expect(at.body.position).toBe(String(event.position));
      expect(at.body.time).toBe(event.timestamp);
      expect(at.body.task.id).toBe(task.id);
      seen.push(at.body.task.status.state);
    }
    expect(seen[0]).toBe('TASK_STATE_SUBMITTED');
    expect(seen).toContain('TASK_STATE_INPUT_REQUIRED');
    expect(seen.at(-1)).toBe('TASK_STATE_COMPLETED');
    // Between the first answer and the follow-up, the history holds only the first message.
    const inputAt = seen.indexOf('TASK_STATE_INPUT_REQUIRED');
    const then = await get(`/acme/tasks/${task.id}?asOf=${events[inputAt]!.position}`);
    expect(then.body.task.history.filter((m: JsonBody) => m.role === 'ROLE_USER')).toHaveLength(1);

    // By time: the last event at or before that moment.
    const byTime = await get(
      `/acme/tasks/${task.id}?asOf=${encodeURIComponent(events[0]!.timestamp)}`,
    );
    expect(byTime.status).toBe(200);
    const lastByThen = events.filter((e) => e.timestamp <= events[0]!.timestamp).at(-1)!;
    expect(byTime.body.position).toBe(String(lastByThen.position));
  });

  it('is 404 before the task existed and for another tenant, 400 for a malformed asOf', async () => {
    const task = (await send('/acme/agents/echo', { message: userMessage('hello') })).body.result
      .task;
    const { events } = (await get(`/acme/tasks/${task.id}/events`)).body as {
      events: { position: number; timestamp: string }[];
    };
    const before = await get(`/acme/tasks/${task.id}?asOf=${events[0]!.position - 1}`);
    expect(before.status).toBe(404);
    expect(before.body.error).toBe('not_found');
    const earlier = new Date(Date.parse(events[0]!.timestamp) - 1).toISOString();
    expect((await get(`/acme/tasks/${task.id}?asOf=${earlier}`)).status).toBe(404);

    expect((await get(`/globex/tasks/${task.id}`)).status).toBe(404);
    expect((await get(`/tasks/${task.id}?asOf=${events[0]!.position}`)).status).toBe(404);
    expect((await get('/acme/tasks/no-such-task')).status).toBe(404);

    for (const bad of ['yesterday', '', '2026-12-01', '12abc']) {
      const answer = await get(`/acme/tasks/${task.id}?asOf=${encodeURIComponent(bad)}`);
      expect(answer.status, bad).toBe(400);
      expect(answer.body.message).toMatch(/asOf/);
    }
    expect((await get(`/acme/tasks/${task.id}?asOf=1&asOf=2`)).status).toBe(400);
  });
});
