import { type Message, Role, type Task, TaskState } from '@a2a-js/sdk';
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';
import {
  JsonRpcTaskNotCancelableError,
  JsonRpcTaskNotFoundError,
  JsonRpcUnsupportedOperationError,
} from '@a2a-js/sdk/errors';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { asTask, sdkMessage as message, sdkSend as send } from '../support/sdk.js';
import { describeEachDatabase } from '../support/services.js';

function textOf(task: Task): string[] {
  return task.artifacts.flatMap((artifact) =>
    artifact.parts.flatMap((part) => (part.content?.$case === 'text' ? [part.content.value] : [])),
  );
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

describeEachDatabase(
  'A2A v1.0 over JSON-RPC with the @a2a-js/sdk client, on $name',
  ({ database }) => {
    let gateway: TestGateway;
    let client: Client;

    beforeAll(async () => {
      gateway = await startTestGateway({ database });
      const factory = new ClientFactory(
        ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
          transports: [new JsonRpcTransportFactory()],
          preferredTransports: ['JSONRPC'],
        }),
      );
      client = await factory.createFromUrl(gateway.url);
    });
    afterAll(async () => {
      await gateway?.stop();
    });

    it('discovers the default agent from its card (§8.2)', () => {
      expect(client.protocolVersion).toBe('1.0');
    });

    it('SendMessage blocks until the echo completes, with exactly the text sent (§3.1.1)', async () => {
      const task = asTask(await client.sendMessage(send(message('hello gateway'))));
      expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(textOf(task)).toEqual(['hello gateway']);
      expect(task.history.map((m) => m.role)).toContain(Role.ROLE_USER);
    });

    it('SendMessage with returnImmediately answers once the task is stored (§3.2.2)', async () => {
      const task = asTask(
        await client.sendMessage(send(message('/sleep 300'), { returnImmediately: true })),
      );
      expect([TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING]).toContain(
        task.status?.state,
      );
      // Read-your-writes: the task is there right away.
      const fetched = await client.getTask({ id: task.id, tenant: '', historyLength: undefined });
      expect(fetched.id).toBe(task.id);
    });

    it('SendMessage answers with a Message when the agent replies with one', async () => {
      const result = await client.sendMessage(send(message('/reply good day')));
      expect('status' in result).toBe(false);
      expect((result as Message).parts[0]?.content).toEqual({ $case: 'text', value: 'good day' });
    });

    it('SendStreamingMessage streams the Task, each chunk, then completion (§3.1.2)', async () => {
      const events = await collect(client.sendMessageStream(send(message('/stream 3'))));
      const kinds = events.map((event) => event.payload?.$case);
      expect(kinds[0]).toBe('task');
      expect(kinds.filter((kind) => kind === 'artifactUpdate')).toHaveLength(3);
      const last = events.at(-1)?.payload;
      expect(last?.$case === 'statusUpdate' && last.value.status?.state).toBe(
        TaskState.TASK_STATE_COMPLETED,
      );
    });

    it('an input-required task takes the next message on it and completes (§3.4)', async () => {
      const first = asTask(await client.sendMessage(send(message('/input'))));
      expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      const second = asTask(
        await client.sendMessage(send(message('the answer', { taskId: first.id }))),
      );
      expect(second.id).toBe(first.id);
      expect(second.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(textOf(second)).toEqual(['the answer']);
    });

    it('GetTask returns the stored task, history cut to historyLength (§3.1.3)', async () => {
      const sent = asTask(await client.sendMessage(send(message('kept'))));
      const full = await client.getTask({ id: sent.id, tenant: '', historyLength: undefined });
      expect(full.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(full.history.length).toBeGreaterThan(0);
      const none = await client.getTask({ id: sent.id, tenant: '', historyLength: 0 });
      expect(none.history).toEqual([]);
      await expect(
        client.getTask({ id: 'no-such-task', tenant: '', historyLength: undefined }),
      ).rejects.toBeInstanceOf(JsonRpcTaskNotFoundError);
    });

    it('ListTasks filters by context and pages with nextPageToken (§3.1.4)', async () => {
      const contextId = `ctx-${Date.now()}`;
      for (let i = 0; i < 5; i++) {
        await client.sendMessage(send(message(`item ${i}`, { contextId })));
      }
      const seen: string[] = [];
      let pageToken = '';
      for (let page = 0; page < 5; page++) {
        const result = await client.listTasks({
          tenant: '',
          contextId,
          status: TaskState.TASK_STATE_UNSPECIFIED,
          pageSize: 2,
          pageToken,
          historyLength: undefined,
          statusTimestampAfter: undefined,
          includeArtifacts: undefined,
        });
        expect(result.totalSize).toBe(5);
        seen.push(...result.tasks.map((task) => task.id));
        expect(result.tasks.every((task) => task.artifacts.length === 0)).toBe(true);
        if (!result.nextPageToken) break;
        pageToken = result.nextPageToken;
      }
      expect(new Set(seen).size).toBe(5);
      const completed = await client.listTasks({
        tenant: '',
        contextId,
        status: TaskState.TASK_STATE_COMPLETED,
        pageSize: 10,
        pageToken: '',
        historyLength: 0,
        statusTimestampAfter: undefined,
        includeArtifacts: true,
      });
      expect(completed.tasks).toHaveLength(5);
      expect(
        completed.tasks.every((task) => task.artifacts.length === 1 && task.history.length === 0),
      ).toBe(true);
    });

    it('CancelTask cancels a running task and refuses a finished one (§3.1.5)', async () => {
      const running = asTask(
        await client.sendMessage(send(message('/sleep 10000'), { returnImmediately: true })),
      );
      const canceled = await client.cancelTask({
        id: running.id,
        tenant: '',
        metadata: undefined,
      });
      expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
      await expect(
        client.cancelTask({ id: running.id, tenant: '', metadata: undefined }),
      ).rejects.toBeInstanceOf(JsonRpcTaskNotCancelableError);
      // The run was aborted: nothing completes the task behind the client's back.
      await eventually(() => gateway.gateway.stats().runningTasks === 0);
      expect(
        (await client.getTask({ id: running.id, tenant: '', historyLength: undefined })).status
          ?.state,
      ).toBe(TaskState.TASK_STATE_CANCELED);
    });

    it('SubscribeToTask starts with the Task and follows it to the end (§3.1.6)', async () => {
      const task = asTask(await client.sendMessage(send(message('/input'))));
      const following = gateway.gateway.stats().subscriptions;
      const stream = client.resubscribeTask({ id: task.id, tenant: '' });
      const reading = collect(stream);
      await eventually(() => gateway.gateway.stats().subscriptions > following);
      await client.sendMessage(send(message('finish it', { taskId: task.id })));
      const events = await reading;
      expect(events[0]?.payload?.$case).toBe('task');
      const last = events.at(-1)?.payload;
      expect(last?.$case === 'statusUpdate' && last.value.status?.state).toBe(
        TaskState.TASK_STATE_COMPLETED,
      );
    });

    it('refuses SubscribeToTask and SendMessage on a terminal task (§3.1.6, §3.1.1)', async () => {
      const done = asTask(await client.sendMessage(send(message('over'))));
      await expect(
        collect(client.resubscribeTask({ id: done.id, tenant: '' })),
      ).rejects.toBeInstanceOf(JsonRpcUnsupportedOperationError);
      await expect(
        client.sendMessage(send(message('again', { taskId: done.id }))),
      ).rejects.toBeInstanceOf(JsonRpcUnsupportedOperationError);
    });

    it('fails a task whose agent throws, times out, or is unknown — never leaves it working', async () => {
      const thrown = asTask(await client.sendMessage(send(message('/throw kaboom'))));
      expect(thrown.status?.state).toBe(TaskState.TASK_STATE_FAILED);
      expect(JSON.stringify(thrown.status?.message)).toContain('kaboom');

      const hasty = await new ClientFactory(
        ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
          transports: [new JsonRpcTransportFactory()],
          preferredTransports: ['JSONRPC'],
        }),
      ).createFromUrl(`${gateway.url}/agents/hasty/`);
      const late = asTask(await hasty.sendMessage(send(message('/sleep 5000'))));
      expect(late.status?.state).toBe(TaskState.TASK_STATE_FAILED);
      expect(JSON.stringify(late.status?.message)).toContain('timed out after 300 ms');
    });
  },
);
