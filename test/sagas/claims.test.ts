import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpc, startTestGateway, type TestGateway, userMessage } from '../support/gateway.js';
import { DATABASE_URL, suiteTitle } from '../support/services.js';

const title = suiteTitle('two gateway instances on one PostgreSQL store', 'DATABASE_URL');

describe.skipIf(!DATABASE_URL)(title, () => {
  let first: TestGateway;
  let second: TestGateway;
  beforeAll(async () => {
    first = await startTestGateway({ database: 'postgres', env: { INSTANCE_ID: 'instance-a' } });
    second = await startTestGateway({
      database: 'postgres',
      env: { INSTANCE_ID: 'instance-b', DATABASE_SCHEMA: first.env.DATABASE_SCHEMA! },
    });
  });
  afterAll(async () => {
    // Both instances stop before the shared schema goes; each removes its own folder.
    await Promise.all([first?.gateway.stop(), second?.gateway.stop()]);
    await second?.stop();
    await first?.stop();
  });

  it('run each task exactly once: both sagas race, one claim wins', async () => {
    const tasks = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rpc(`${(i % 2 ? first : second).url}/agents/echo`, {
          jsonrpc: '2.0',
          id: i,
          method: 'SendMessage',
          params: { message: userMessage(`task ${i}`) },
        }),
      ),
    );
    for (const reply of tasks) {
      const task = reply.body.result.task;
      expect(task.status.state).toBe('TASK_STATE_COMPLETED');
      const { events } = (await (await fetch(`${first.url}/tasks/${task.id}/events`)).json()) as {
        events: { type: string }[];
      };
      expect(events.map((event) => event.type)).toEqual([
        'task.submitted',
        'task.execution_started',
        'task.artifact_appended',
        'task.status_changed',
      ]);
    }
  });

  it('lets a client follow on one instance a task the other runs', async () => {
    const task = (
      await rpc(`${first.url}/agents/echo`, {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message: userMessage('/input') },
      })
    ).body.result.task;
    const finished = await rpc(`${second.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 2,
      method: 'SendMessage',
      params: { message: userMessage('done', { taskId: task.id }) },
    });
    expect(finished.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    const fromFirst = await rpc(`${first.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 3,
      method: 'GetTask',
      params: { id: task.id },
    });
    expect(fromFirst.body.result.status.state).toBe('TASK_STATE_COMPLETED');
  });
});
