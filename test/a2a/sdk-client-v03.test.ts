import { type Message, TaskState } from '@a2a-js/sdk';
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
} from '@a2a-js/sdk/client';
import { isLegacyAgentCard } from '@a2a-js/sdk/compat/v0_3/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { asTask, sdkMessage, sdkSend } from '../support/sdk.js';

function send(text: string, extra: Partial<Message> = {}) {
  return sdkSend(sdkMessage(text, extra));
}

/**
 * A 0.3 client (the SDK's legacy transport: `message/send`, `tasks/get`, `kind`
 * discriminators, lowercase states) against the same gateway: translated at the edge.
 */
describe('A2A 0.3 over JSON-RPC with the @a2a-js/sdk legacy client', () => {
  let gateway: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gateway = await startTestGateway();
    const card = await (await fetch(`${gateway.url}/agents/echo/.well-known/agent.json`)).json();
    expect(isLegacyAgentCard(card)).toBe(true);
    const factory = new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        cardResolver: new DefaultAgentCardResolver({ legacyCompat: { enabled: true } }),
        transports: [new JsonRpcTransportFactory({ legacyCompat: { enabled: true } })],
      }),
    );
    // The factory accepts a 0.3 card when legacyCompat is on; its type only names the 1.0 shape.
    client = await factory.createFromAgentCard(
      card as Parameters<typeof factory.createFromAgentCard>[0],
    );
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('speaks 0.3 to the gateway', () => {
    expect(client.protocolVersion).toBe('0.3');
  });

  it('message/send completes the echo with exactly the text sent', async () => {
    const task = asTask(await client.sendMessage(send('hello from 0.3')));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(task.artifacts[0]?.parts[0]?.content).toEqual({
      $case: 'text',
      value: 'hello from 0.3',
    });
  });

  it('message/stream delivers the task, the chunks and the final status', async () => {
    const kinds: (string | undefined)[] = [];
    for await (const event of client.sendMessageStream(send('/stream 2')))
      kinds.push(event.payload?.$case);
    expect(kinds[0]).toBe('task');
    expect(kinds.filter((kind) => kind === 'artifactUpdate')).toHaveLength(2);
    expect(kinds.at(-1)).toBe('statusUpdate');
  });

  it('tasks/get, tasks/cancel and the follow-up on an input-required task', async () => {
    const asking = asTask(await client.sendMessage(send('/input')));
    expect(asking.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const fetched = await client.getTask({ id: asking.id, tenant: '', historyLength: undefined });
    expect(fetched.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    const canceled = await client.cancelTask({ id: asking.id, tenant: '', metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);

    const again = asTask(await client.sendMessage(send('/input')));
    const done = asTask(
      await client.sendMessage(send('answer', { taskId: again.id, contextId: again.contextId })),
    );
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('tasks/resubscribe starts with the task and ends at its terminal state', async () => {
    const task = asTask(await client.sendMessage(send('/input')));
    const kinds: (string | undefined)[] = [];
    const following = gateway.gateway.stats().subscriptions;
    const reading = (async () => {
      for await (const event of client.resubscribeTask({ id: task.id, tenant: '' }))
        kinds.push(event.payload?.$case);
    })();
    await eventually(() => gateway.gateway.stats().subscriptions > following);
    await client.sendMessage(send('done', { taskId: task.id, contextId: task.contextId }));
    await reading;
    expect(kinds[0]).toBe('task');
    expect(kinds.at(-1)).toBe('statusUpdate');
  });

  it('reports an unknown task as TaskNotFound', async () => {
    await expect(
      client.getTask({ id: 'missing', tenant: '', historyLength: undefined }),
    ).rejects.toMatchObject({
      name: expect.stringContaining('TaskNotFound'),
    });
  });
});
