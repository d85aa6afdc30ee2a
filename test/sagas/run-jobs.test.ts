import { afterEach, describe, expect, it } from 'vitest';
import {
  type Bus,
  type Consumer,
  createBus,
  createMemoryTransport,
  type GatewayBus,
  MemoryBroker,
  type OutgoingMessage,
} from '../../src/bus/index.js';
import type { StoredEvent } from '../../src/events/index.js';
import type { RunAborted } from '../../src/executors/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  type AgentRuntime,
  createMemoryInstanceLeases,
  createTaskLifecycle,
  type TaskLifecycle,
} from '../../src/sagas/index.js';
import type { EventStore } from '../../src/store/index.js';
import {
  createTaskCommands,
  type TaskAggregate,
  type TaskCommands,
  type TaskEvent,
  taskStreamId,
} from '../../src/tasks/index.js';
import { eventually } from '../support/collect.js';
import {
  completed,
  createFakeExecutor,
  emit,
  type FakeExecutor,
  gate,
  inputRequired,
} from '../support/fake-executor.js';
import { aContext, aStore, aSubmit, storedTask } from '../support/task-builders.js';
import { aMessage } from '../support/task-spec.js';

const silent = createLogger({ level: 'silent' });
const now = () => new Date().toISOString();
const opened: { saga: TaskLifecycle; bus: GatewayBus }[] = [];

afterEach(async () => {
  for (const { saga, bus } of opened.splice(0).reverse()) {
    await saga.stop();
    await bus.close(0);
  }
});

function aRuntime(executor: FakeExecutor): AgentRuntime {
  return {
    executor,
    executorName: 'fake:scripted',
    timeoutMs: 10_000,
    claim: 'with-first-update',
    onRestart: 'resume',
  };
}

/** One store shared by instances (as PostgreSQL is), one broker their buses share. */
function aCluster() {
  return { store: { ...aStore(), exclusive: false } as EventStore, broker: new MemoryBroker() };
}

type BusFace = Pick<Bus, 'publish' | 'subscribe'>;

/**
 * A started saga with its own command handler and bus: one gateway instance. The view lists
 * nothing, so the lease scan never runs a task: what runs, a job ran.
 */
async function anInstance(
  cluster: ReturnType<typeof aCluster>,
  instance: string,
  executor: FakeExecutor,
  face: (bus: GatewayBus) => BusFace = (bus) => bus,
): Promise<{ saga: TaskLifecycle; commands: TaskCommands; bus: GatewayBus }> {
  const commands = createTaskCommands(cluster.store);
  const bus = createBus(createMemoryTransport(cluster.broker), {
    store: cluster.store,
    log: silent,
    consumerName: instance,
  });
  const saga = createTaskLifecycle({
    store: cluster.store,
    commands,
    view: { unsettled: async () => [] },
    leases: createMemoryInstanceLeases(),
    runtimeFor: (agent) => (agent === 'fake' ? aRuntime(executor) : undefined),
    instance,
    bus: face(bus),
    logger: silent,
  });
  opened.push({ saga, bus });
  await saga.start();
  return { saga, commands, bus };
}

/** Publishes, records what it published, and takes no jobs: an instance busy elsewhere. */
function publishOnly(published: OutgoingMessage[]) {
  return (bus: GatewayBus): BusFace => ({
    publish: (message) => {
      published.push(message);
      return bus.publish(message);
    },
    subscribe: async (topic, _handler, options): Promise<Consumer> => ({
      topic,
      group: options.group,
      pause() {},
      resume() {},
      async drain() {},
      stats: () => ({ inFlight: 0, handled: 0, failed: 0, deadLettered: 0 }),
    }),
  });
}

const submit = (commands: TaskCommands, correlationId = 'corr-1') =>
  commands.handle('t-1', aSubmit({ agent: 'fake', at: now() }), aContext({ correlationId }));

async function stored(store: EventStore, state: string): Promise<TaskAggregate> {
  let task: TaskAggregate | undefined;
  await eventually(async () => {
    task = await storedTask(store, 't-1');
    return task?.status.state === state;
  }).catch(() => {
    throw new Error(`task t-1 is ${task?.status.state ?? 'absent'}, expected ${state}`);
  });
  return task!;
}

type Claim = StoredEvent & { data: Extract<TaskEvent, { type: 'task.execution_started' }>['data'] };

async function claimsIn(store: EventStore): Promise<Claim[]> {
  const events = await store.readStream(taskStreamId('t-1'));
  return events.filter((event) => event.type === 'task.execution_started') as Claim[];
}

const depth = (bus: GatewayBus) => bus.depth('task.run', 'task-runs');

describe('task runs as jobs on the bus', () => {
  it('queues a stored submission as a job keyed by its task, run by the instance that takes it', async () => {
    const cluster = aCluster();
    const published: OutgoingMessage[] = [];
    const idle = createFakeExecutor([emit(completed)]);
    const a = await anInstance(cluster, 'a', idle, publishOnly(published));
    const worker = createFakeExecutor([emit(completed)]);
    const b = await anInstance(cluster, 'b', worker);

    const accepted = await submit(a.commands, 'corr-9');

    await stored(cluster.store, 'TASK_STATE_COMPLETED');
    const submitted = accepted.events[0]!;
    expect(published).toEqual([
      {
        topic: 'task.run',
        key: 't-1',
        idempotencyKey: 't-1:1',
        payload: {
          taskId: 't-1',
          tenant: '',
          version: 1,
          cause: { eventId: submitted.id, correlationId: 'corr-9' },
        },
      },
    ]);
    const [claim, ...more] = await claimsIn(cluster.store);
    expect(more).toEqual([]);
    expect(claim).toMatchObject({
      data: { instance: 'b', attempt: 1, resumed: false },
      correlationId: 'corr-9',
      causationId: submitted.id,
    });
    expect(idle.runs).toEqual([]);
    expect(worker.runs).toHaveLength(1);
    await eventually(async () => (await depth(b.bus)) === 0);
  });

  it('holds the job until the run’s claim is stored, then acknowledges it', async () => {
    const cluster = aCluster();
    const executor = createFakeExecutor([gate(), emit(completed)]);
    const a = await anInstance(cluster, 'a', executor);

    await submit(a.commands);
    await executor.started();
    // The agent claims with its first report, which it has not made yet.
    expect(await claimsIn(cluster.store)).toEqual([]);
    expect(await depth(a.bus)).toBe(1);

    executor.open();
    await stored(cluster.store, 'TASK_STATE_COMPLETED');
    await eventually(async () => (await depth(a.bus)) === 0);
  });

  it('hands a job back when its instance stops before the claim: another instance runs it', async () => {
    const cluster = aCluster();
    const stopped = createFakeExecutor([gate(), emit(completed)]);
    const a = await anInstance(cluster, 'a', stopped);
    await submit(a.commands);
    await stopped.started();

    await a.saga.stop();
    expect((stopped.runs[0]!.context.signal.reason as RunAborted).why).toBe('shutdown');
    expect(await claimsIn(cluster.store)).toEqual([]);
    const next = createFakeExecutor([emit(completed)]);
    await anInstance(cluster, 'b', next);

    await stored(cluster.store, 'TASK_STATE_COMPLETED');
    const claims = await claimsIn(cluster.store);
    expect(claims.map((claim) => claim.data)).toEqual([
      { attempt: 1, executor: 'fake:scripted', instance: 'b', resumed: false },
    ]);
  });

  it('queues a follow-up message as a job too: the instance that takes it runs it', async () => {
    const cluster = aCluster();
    const published: OutgoingMessage[] = [];
    const a = await anInstance(cluster, 'a', createFakeExecutor([]), publishOnly(published));
    const worker = createFakeExecutor((run) =>
      run === 1 ? [emit(inputRequired)] : [emit(completed)],
    );
    await anInstance(cluster, 'b', worker);
    await submit(a.commands);
    await stored(cluster.store, 'TASK_STATE_INPUT_REQUIRED');

    const followUp = aMessage({ messageId: 'm-2', parts: [{ text: 'more' }] });
    await a.commands.handle(
      't-1',
      { type: 'ReceiveMessage', message: followUp, at: now() },
      aContext(),
    );

    await stored(cluster.store, 'TASK_STATE_COMPLETED');
    expect((await worker.started(2)).context.message.messageId).toBe('m-2');
    expect(published.map((message) => message.idempotencyKey)).toEqual(['t-1:1', 't-1:4']);
    const claims = await claimsIn(cluster.store);
    expect(claims.map((claim) => [claim.data, claim.streamVersion])).toEqual([
      [{ attempt: 1, executor: 'fake:scripted', instance: 'b', resumed: false }, 2],
      [{ attempt: 2, executor: 'fake:scripted', instance: 'b', resumed: false }, 5],
    ]);
  });

  it('acknowledges without a run a job whose task needs none any more', async () => {
    const cluster = aCluster();
    const a = await anInstance(cluster, 'a', createFakeExecutor([]), publishOnly([]));
    await submit(a.commands);
    await a.commands.handle('t-1', { type: 'Cancel', at: now() }, aContext());

    const late = createFakeExecutor([emit(completed)]);
    const b = await anInstance(cluster, 'b', late);

    await eventually(async () => (await depth(b.bus)) === 0);
    expect(late.runs).toEqual([]);
    expect((await storedTask(cluster.store, 't-1'))?.status.state).toBe('TASK_STATE_CANCELED');
  });

  it('runs the task here when its job cannot be queued', async () => {
    const cluster = aCluster();
    const executor = createFakeExecutor([emit(completed)]);
    const a = await anInstance(cluster, 'a', executor, (bus) => ({
      publish: async () => {
        throw new Error('the queue is down');
      },
      subscribe: (topic, handler, options) => bus.subscribe(topic, handler, options),
    }));

    await submit(a.commands);

    await stored(cluster.store, 'TASK_STATE_COMPLETED');
    expect((await claimsIn(cluster.store)).map((claim) => claim.data.instance)).toEqual(['a']);
  });

  it('queues nothing for a staged submission: it runs at once where it was accepted', async () => {
    const cluster = aCluster();
    const published: OutgoingMessage[] = [];
    const executor = createFakeExecutor([emit(completed)]);
    const a = await anInstance(cluster, 'a', executor, (bus) => ({
      publish: (message) => {
        published.push(message);
        return bus.publish(message);
      },
      subscribe: (topic, handler, options) => bus.subscribe(topic, handler, options),
    }));

    expect(a.saga.stage(aSubmit({ agent: 'fake', at: now() }), aContext())).toBe(true);

    await stored(cluster.store, 'TASK_STATE_COMPLETED');
    expect(published).toEqual([]);
    expect((await claimsIn(cluster.store)).map((claim) => claim.data.instance)).toEqual(['a']);
  });
});
