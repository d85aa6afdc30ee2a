import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Consumer,
  createBus,
  createMemoryTransport,
  type GatewayBus,
  registerDeadLetterEvents,
} from '../../src/bus/index.js';
import { createEventRegistry } from '../../src/events/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  createUrlGuard,
  createWebhookSender,
  notificationId,
  PUSH_DELIVER_TOPIC,
  PUSH_GROUP,
  type PushDeliveryJob,
  type PushDispatcher,
  startPushDelivery,
  startPushDispatcher,
  type WebhookSender,
} from '../../src/push/index.js';
import { createMemoryEventStore, type EventStore } from '../../src/store/index.js';
import {
  type CommandContext,
  createTaskCommands,
  registerTaskEvents,
  type TaskCommand,
  type TaskCommands,
} from '../../src/tasks/index.js';
import { eventually } from '../support/collect.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const quiet = createLogger({ level: 'silent' });
const AT = '2026-05-01T12:00:00.000Z';
const CONTEXT: CommandContext = { tenant: 'acme', principal: 'alice', correlationId: 'corr-1' };

describe('push notifications over the bus: dispatcher, delivery, retries, dead letters', () => {
  let store: EventStore;
  let commands: TaskCommands;
  let bus: GatewayBus;
  let sender: WebhookSender;
  let receiver: WebhookReceiver;
  let dispatchers: PushDispatcher[];
  let delivery: Consumer;
  let taskNumber = 0;

  beforeEach(async () => {
    store = createMemoryEventStore({
      registry: registerDeadLetterEvents(registerTaskEvents(createEventRegistry())),
    });
    commands = createTaskCommands(store);
    bus = createBus(createMemoryTransport(), { store, log: quiet });
    receiver = await startWebhookReceiver();
    sender = createWebhookSender({
      guard: createUrlGuard({ allowHosts: ['127.0.0.1'] }),
      sign: async (claims) => `signed:${claims.jti}`,
      issuer: () => 'https://gateway.example',
      connectTimeoutMs: 1_000,
      timeoutMs: 5_000,
      jwtTtlS: 60,
    });
    dispatchers = [await startPushDispatcher({ store, bus, logger: quiet })];
    delivery = await startPushDelivery({
      bus,
      sender,
      task: (taskId, tenant) => commands.get(taskId, tenant, { pushConfigs: true }),
      logger: quiet,
      retry: { kind: 'exponential', baseMs: 10, maxMs: 40, maxAttempts: 3, jitter: true },
    });
  });
  afterEach(async () => {
    for (const dispatcher of dispatchers) await dispatcher.stop();
    await bus.close(2_000);
    await sender.close();
    await receiver.close();
  });

  /** A new task of tenant acme with a webhook at `path` of the receiver. */
  async function taskWithWebhook(path: string, configId = 'hook-1'): Promise<string> {
    taskNumber += 1;
    const taskId = `t-${taskNumber}`;
    await commands.handle(
      taskId,
      {
        type: 'SubmitTask',
        taskId,
        contextId: 'c-1',
        agent: 'echo',
        message: { messageId: `m-${taskNumber}`, role: 'ROLE_USER', parts: [{ text: 'hi' }] },
        pushConfig: {
          id: configId,
          url: `${receiver.origin}${path}`,
          token: 'tok',
          authentication: { scheme: 'Bearer', credentials: 'cred' },
        },
        at: AT,
      },
      CONTEXT,
    );
    return taskId;
  }

  const run = (taskId: string, command: TaskCommand) => commands.handle(taskId, command, CONTEXT);
  const progress = (text: string): TaskCommand => ({
    type: 'UpdateProgress',
    message: { messageId: `a-${text}`, role: 'ROLE_AGENT', parts: [{ text }] },
    at: AT,
  });

  it('sends each update of a task to its webhook, in order, each with its own stable id', async () => {
    const taskId = await taskWithWebhook('/ordered');
    await run(taskId, progress('one'));
    await run(taskId, {
      type: 'AppendArtifact',
      artifact: { artifactId: 'a-1', parts: [{ text: 'result' }] },
      append: false,
      lastChunk: true,
      at: AT,
    });
    const completed = await run(taskId, { type: 'Complete', at: AT });
    await eventually(() => receiver.received.length === 3);
    const bodies = receiver.received.map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => Object.keys(b)[0])).toEqual([
      'statusUpdate',
      'artifactUpdate',
      'statusUpdate',
    ]);
    expect(bodies[0].statusUpdate).toMatchObject({
      taskId,
      contextId: 'c-1',
      status: { state: 'TASK_STATE_WORKING' },
    });
    expect(bodies[2].statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');
    const ids = receiver.received.map((r) => r.headers['x-a2a-notification-id']);
    expect(new Set(ids).size).toBe(3);
    expect(ids[2]).toBe(notificationId(taskId, 'hook-1', completed.events.at(-1)!.globalPosition));
    expect(receiver.received[0]!.headers.authorization).toBe('Bearer cred');
    expect(receiver.received[0]!.headers['x-a2a-notification-token']).toBe('tok');
  });

  it('retries a webhook that answers 503 twice, with the same notification id', async () => {
    receiver.answer(503, 503, 200);
    const taskId = await taskWithWebhook('/flaky');
    await run(taskId, { type: 'Complete', at: AT });
    await eventually(() => receiver.received.length === 3);
    const ids = receiver.received.map((r) => r.headers['x-a2a-notification-id']);
    expect(new Set(ids).size).toBe(1);
    await eventually(() => delivery.stats().handled === 1);
    expect(await bus.depth(PUSH_DELIVER_TOPIC, PUSH_GROUP)).toBe(0);
    const [entry] = await bus.deadLetters.list({ states: ['resolved'] });
    expect(entry).toMatchObject({ topic: PUSH_DELIVER_TOPIC, group: PUSH_GROUP, attempts: 2 });
  });

  it('dead-letters a notification whose webhook keeps failing, after the retry limit', async () => {
    receiver.answer(500);
    const taskId = await taskWithWebhook('/down');
    await run(taskId, { type: 'Complete', at: AT });
    const failed = () => bus.deadLetters.list({ states: ['permanent_failure'] });
    await eventually(async () => (await failed()).length === 1);
    const [entry] = await failed();
    expect(entry).toMatchObject({
      state: 'permanent_failure',
      attempts: 3,
      topic: PUSH_DELIVER_TOPIC,
      lastError: expect.stringMatching(/answered 500/),
    });
    expect((entry!.envelope.payload as PushDeliveryJob).taskId).toBe(taskId);
    expect(receiver.received).toHaveLength(3);
    // The envelope carries no secret: the config is read again at each try.
    expect(JSON.stringify(entry!.envelope)).not.toContain('cred');
  });

  it('dead-letters at once what a webhook refuses with a 4xx', async () => {
    receiver.answer(404);
    const taskId = await taskWithWebhook('/missing');
    await run(taskId, { type: 'Complete', at: AT });
    const failed = () => bus.deadLetters.list({ states: ['permanent_failure'] });
    await eventually(async () => (await failed()).length === 1);
    const [entry] = await failed();
    expect(entry).toMatchObject({ state: 'permanent_failure', attempts: 1 });
    expect(receiver.received).toHaveLength(1);
  });

  it('sends nothing to a webhook deleted before its notification went out', async () => {
    const taskId = await taskWithWebhook('/deleted');
    await run(taskId, { type: 'DeletePushConfig', id: 'hook-1', at: AT });
    const job: PushDeliveryJob = {
      taskId,
      configId: 'hook-1',
      tenant: 'acme',
      position: 1,
      notificationId: 'n-late',
      response: {
        statusUpdate: { taskId, contextId: 'c-1', status: { state: 'TASK_STATE_WORKING' } },
      },
    };
    await bus.publish({ topic: PUSH_DELIVER_TOPIC, payload: job, key: taskId });
    await eventually(() => delivery.stats().handled === 1);
    expect(receiver.received).toHaveLength(0);
    // And updates after the deletion are not even published for it.
    await run(taskId, { type: 'Complete', at: AT });
    await dispatchers[0]!.waitFor(await store.headPosition());
    expect(await bus.depth(PUSH_DELIVER_TOPIC, PUSH_GROUP)).toBe(0);
    expect(receiver.received).toHaveLength(0);
  });

  it('sends to every webhook of the task, and only from when each was set', async () => {
    const taskId = await taskWithWebhook('/first', 'first');
    await run(taskId, progress('before the second'));
    await run(taskId, {
      type: 'SetPushConfig',
      config: { id: 'second', url: `${receiver.origin}/second` },
      at: AT,
    });
    await run(taskId, { type: 'Complete', at: AT });
    await eventually(() => receiver.received.length === 3);
    const paths = receiver.received.map((r) => r.path).sort();
    expect(paths).toEqual(['/first', '/first', '/second']);
    const second = receiver.received.find((r) => r.path === '/second')!;
    expect(JSON.parse(second.body).statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');
    expect(second.headers.authorization).toBeUndefined();
  });

  it('publishes each notification once though two dispatchers (instances) follow the store', async () => {
    dispatchers.push(await startPushDispatcher({ store, bus, logger: quiet, name: 'push-2' }));
    const taskId = await taskWithWebhook('/twice');
    await run(taskId, progress('one'));
    await run(taskId, { type: 'Complete', at: AT });
    const head = await store.headPosition();
    for (const dispatcher of dispatchers) expect(await dispatcher.waitFor(head)).toBe(true);
    await eventually(async () => (await bus.depth(PUSH_DELIVER_TOPIC, PUSH_GROUP)) === 0);
    expect(receiver.received).toHaveLength(2);
  });

  it('finds a task that had its webhook before the dispatcher started (after a restart)', async () => {
    const taskId = await taskWithWebhook('/restart');
    await dispatchers[0]!.waitFor(await store.headPosition());
    await dispatchers.shift()!.stop();
    await run(taskId, progress('while down'));
    // Resumes after its checkpoint with nothing in memory: it reads the task back.
    dispatchers.push(await startPushDispatcher({ store, bus, logger: quiet }));
    await run(taskId, { type: 'Complete', at: AT });
    await eventually(() => receiver.received.length === 2);
    const states = receiver.received.map((r) => JSON.parse(r.body).statusUpdate.status.state);
    expect(states).toEqual(['TASK_STATE_WORKING', 'TASK_STATE_COMPLETED']);
  });
});
