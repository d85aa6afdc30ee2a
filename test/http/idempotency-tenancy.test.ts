import { afterAll, beforeAll, expect, it } from 'vitest';
import { rpc, startTestGateway, type TestGateway, userMessage } from '../support/gateway.js';
import { describeEachDatabase } from '../support/services.js';

describeEachDatabase('idempotency, tenancy and correlation, on $name', ({ database }) => {
  let gateway: TestGateway;
  let calls = 0;
  const send = (
    path: string,
    method: string,
    params: unknown,
    headers: Record<string, string> = {},
  ) => rpc(`${gateway.url}${path}`, { jsonrpc: '2.0', id: ++calls, method, params }, headers);

  beforeAll(async () => {
    gateway = await startTestGateway({ database });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('returns the task of the first try for a retried SendMessage with the same Idempotency-Key', async () => {
    const key = `key-${Date.now()}`;
    const message = userMessage('only once');
    const [first, second] = await Promise.all([
      send('/agents/echo', 'SendMessage', { message }, { 'idempotency-key': key }),
      send('/agents/echo', 'SendMessage', { message }, { 'idempotency-key': key }),
    ]);
    const third = await send(
      '/agents/echo',
      'SendMessage',
      { message },
      { 'idempotency-key': key },
    );
    const ids = [first, second, third].map((reply) => reply.body.result.task.id);
    expect(new Set(ids).size).toBe(1);
    const timeline = (await (await fetch(`${gateway.url}/tasks/${ids[0]}/events`)).json()) as {
      events: { type: string }[];
    };
    expect(timeline.events.filter((event) => event.type === 'task.submitted')).toHaveLength(1);
  });

  it('makes separate tasks for requests that only share a messageId', async () => {
    const message = userMessage('same id, new task');
    const first = await send('/agents/echo', 'SendMessage', { message });
    const second = await send('/agents/echo', 'SendMessage', { message });
    expect(first.body.result.task.id).not.toBe(second.body.result.task.id);
  });

  it('scopes Idempotency-Keys per tenant', async () => {
    const key = `shared-key-${Date.now()}`;
    const a = await send(
      '/acme/agents/echo',
      'SendMessage',
      { message: userMessage('a') },
      { 'idempotency-key': key },
    );
    const b = await send(
      '/globex/agents/echo',
      'SendMessage',
      { message: userMessage('b') },
      { 'idempotency-key': key },
    );
    expect(a.body.result.task.id).not.toBe(b.body.result.task.id);
  });

  it('does not append a retried follow-up twice', async () => {
    const task = (await send('/agents/echo', 'SendMessage', { message: userMessage('/input') }))
      .body.result.task;
    const followUp = userMessage('/input', { taskId: task.id });
    await send('/agents/echo', 'SendMessage', { message: followUp });
    const retried = await send('/agents/echo', 'SendMessage', { message: followUp });
    expect(retried.body.result.task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    const timeline = (await (await fetch(`${gateway.url}/tasks/${task.id}/events`)).json()) as {
      events: { type: string }[];
    };
    expect(timeline.events.filter((event) => event.type === 'task.message_received')).toHaveLength(
      1,
    );
  });

  it('hides a task from every other tenant (TaskNotFound), by URL prefix or by tenant field', async () => {
    const task = (
      await send('/acme/agents/echo', 'SendMessage', { message: userMessage('secret') })
    ).body.result.task;
    expect((await send('/acme/agents/echo', 'GetTask', { id: task.id })).body.result.id).toBe(
      task.id,
    );
    expect(
      (await send('/agents/echo', 'GetTask', { id: task.id, tenant: 'acme' })).body.result.id,
    ).toBe(task.id);
    for (const [path, params] of [
      ['/globex/agents/echo', { id: task.id }],
      ['/agents/echo', { id: task.id }],
      ['/agents/echo', { id: task.id, tenant: 'globex' }],
    ] as const) {
      expect(
        (await send(path, 'GetTask', params)).body.error.code,
        `${path} ${JSON.stringify(params)}`,
      ).toBe(-32001);
      expect((await send(path, 'CancelTask', params)).body.error.code).toBe(-32001);
    }
    const listed = (await send('/globex/agents/echo', 'ListTasks', {})).body.result.tasks.map(
      (t: { id: string }) => t.id,
    );
    expect(listed).not.toContain(task.id);
    expect((await fetch(`${gateway.url}/globex/tasks/${task.id}/events`)).status).toBe(404);
    expect(
      (await send('/acme/agents/echo', 'GetTask', { id: task.id, tenant: 'globex' })).body.error
        .code,
    ).toBe(-32602);
  });

  it('carries the request correlation id into every event and back in a header', async () => {
    const reply = await send(
      '/agents/echo',
      'SendMessage',
      { message: userMessage('traced') },
      { 'x-correlation-id': 'trace-123' },
    );
    expect(reply.headers.get('x-correlation-id')).toBe('trace-123');
    const timeline = (await (
      await fetch(`${gateway.url}/tasks/${reply.body.result.task.id}/events`)
    ).json()) as {
      events: { correlationId: string; source?: string; causationId: string | null }[];
    };
    expect(timeline.events.every((event) => event.correlationId === 'trace-123')).toBe(true);
    // The saga's events point back at the event that caused them.
    expect(
      timeline.events
        .slice(1)
        .every((event) => event.source?.startsWith('saga:') && event.causationId),
    ).toBe(true);
    const generated = await send('/agents/echo', 'GetTask', { id: 'x' });
    expect(generated.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    // A caller's id that is not a plain token is replaced, not echoed.
    const replaced = await send('/agents/echo', 'GetTask', { id: 'x' }, { 'x-request-id': 'a b' });
    expect(replaced.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    // Every other route answers with one too.
    for (const path of [
      '/healthz',
      '/.well-known/agent-card.json',
      '/agents',
      '/acme/agents/echo/.well-known/agent-card.json',
      `/tasks/${reply.body.result.task.id}/events`,
    ]) {
      const response = await fetch(`${gateway.url}${path}`, {
        headers: { 'x-request-id': 'req-7' },
      });
      expect(response.headers.get('x-correlation-id'), path).toBe('req-7');
    }
  });
});
