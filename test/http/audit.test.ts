import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import {
  childEnv,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { readSse } from '../support/sse.js';

const run = promisify(execFile);

describe('audit: a task’s full history', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  const send = (params: unknown, headers: Record<string, string> = {}) =>
    rpc(
      `${gateway.url}/agents/echo`,
      { jsonrpc: '2.0', id: 1, method: 'SendMessage', params },
      headers,
    );

  it('lists every event with position, type, time, tenant, correlation id and data', async () => {
    const task = (await send({ message: userMessage('/input') }, { 'x-correlation-id': 'audit-1' }))
      .body.result.task;
    await send(
      { message: userMessage('the answer', { taskId: task.id }) },
      { 'x-correlation-id': 'audit-2' },
    );
    const response = await fetch(`${gateway.url}/tasks/${task.id}/events`);
    const { taskId, events } = (await response.json()) as {
      taskId: string;
      events: {
        position: number;
        version: number;
        type: string;
        timestamp: string;
        correlationId: string;
        tenant: string;
        data: unknown;
      }[];
    };
    expect(taskId).toBe(task.id);
    expect(events.map((event) => event.type)).toEqual([
      'task.submitted',
      'task.execution_started',
      'task.status_changed',
      'task.message_received',
      'task.execution_started',
      'task.artifact_appended',
      'task.status_changed',
    ]);
    expect(events.map((event) => event.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events.map((event) => event.correlationId)).toEqual([
      'audit-1',
      'audit-1',
      'audit-1',
      'audit-2',
      'audit-2',
      'audit-2',
      'audit-2',
    ]);
    expect(
      events.every((event) => event.tenant === '' && !Number.isNaN(Date.parse(event.timestamp))),
    ).toBe(true);
    expect((await fetch(`${gateway.url}/tasks/nothing-here/events`)).status).toBe(404);
  });

  it('follows a task live over SSE until it ends', async () => {
    const task = (await send({ message: userMessage('/input') })).body.result.task;
    const following = gateway.gateway.stats().subscriptions;
    const reading = readSse(`${gateway.url}/tasks/${task.id}/events`, { method: 'GET' });
    await eventually(() => gateway.gateway.stats().subscriptions > following);
    await send({ message: userMessage('/stream 2', { taskId: task.id }) });
    const read = await reading;
    expect(read.data.map((entry) => entry.type)).toContain('task.artifact_appended');
    expect(read.data.at(-1)).toMatchObject({
      type: 'task.status_changed',
      data: { status: { state: 'TASK_STATE_COMPLETED' } },
    });
  });

  it('prints the same timeline as a table from the command line', async () => {
    const task = (
      await send({ message: userMessage('for the cli') }, { 'x-correlation-id': 'cli-1' })
    ).body.result.task;
    const { stdout } = await run(
      'node',
      ['--import', 'tsx', 'src/cli/main.ts', 'audit', task.id, '--url', gateway.url],
      {
        env: childEnv({ LOG_LEVEL: 'silent' }),
      },
    );
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^position\s+v\s+time\s+type\s+tenant\s+principal\s+correlation\s+what$/,
    );
    expect(lines.slice(2).map((line) => line.split(/\s+/)[3])).toEqual([
      'task.submitted',
      'task.execution_started',
      'task.artifact_appended',
      'task.status_changed',
    ]);
    expect(stdout).toContain('cli-1');
    expect(stdout).toContain('"for the cli"');
    expect(stdout).toContain('TASK_STATE_COMPLETED');
  });
});
