import { afterEach, describe, expect, it } from 'vitest';
import { RunAborted } from '../../src/executors/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  type AgentRuntime,
  createMemoryInstanceLeases,
  createTaskLifecycle,
  type InstanceLeases,
  type TaskLifecycle,
} from '../../src/sagas/index.js';
import type { EventStore } from '../../src/store/index.js';
import {
  createTaskCommands,
  foldStored,
  type TaskAggregate,
  type TaskCommand,
  type TaskCommands,
  type TaskEvent,
  type TaskView,
  taskStreamId,
} from '../../src/tasks/index.js';
import { eventually } from '../support/collect.js';
import {
  completed,
  createFakeExecutor,
  emit,
  type FakeExecutor,
  fail,
  gate,
  inputRequired,
  working,
} from '../support/fake-executor.js';
import { aContext, aStore, aSubmit, storedTask, storedTypes } from '../support/task-builders.js';
import { aMessage } from '../support/task-spec.js';
import { watchStore } from '../support/watched-store.js';

type ExecutionStarted = Extract<TaskEvent, { type: 'task.execution_started' }>['data'];

const now = () => new Date().toISOString();
const sagas: TaskLifecycle[] = [];

afterEach(async () => {
  await Promise.all(sagas.splice(0).map((saga) => saga.stop()));
});

function aRuntime(executor: FakeExecutor, overrides: Partial<AgentRuntime> = {}): AgentRuntime {
  return {
    executor,
    executorName: 'fake:scripted',
    timeoutMs: 10_000,
    claim: 'with-first-update',
    onRestart: 'resume',
    ...overrides,
  };
}

/** The unsettled tasks the SQL view would list, folded from the store's events. */
function unsettledIn(store: EventStore): Pick<TaskView, 'unsettled'> {
  return {
    async unsettled() {
      const tasks = new Map<string, TaskAggregate>();
      let after: number | null = 0;
      while (after !== null) {
        const page = await store.readAll({ after });
        for (const event of page.events) {
          tasks.set(event.streamId, foldStored(tasks.get(event.streamId), event));
        }
        after = page.next;
      }
      return [...tasks.values()].filter((task) =>
        ['TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING'].includes(task.status.state),
      );
    },
  };
}

/** A started saga with its own command handler: one gateway instance. */
async function anInstance(options: {
  store: EventStore;
  runtime?: AgentRuntime;
  instance?: string;
  leases?: InstanceLeases;
  leaseMs?: number;
}): Promise<{ saga: TaskLifecycle; commands: TaskCommands }> {
  const commands = createTaskCommands(options.store);
  const saga = createTaskLifecycle({
    store: options.store,
    commands,
    view: unsettledIn(options.store),
    leases: options.leases ?? createMemoryInstanceLeases(),
    runtimeFor: (agent) => (agent === 'fake' ? options.runtime : undefined),
    instance: options.instance ?? 'i-1',
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    logger: createLogger({ level: 'silent' }),
  });
  sagas.push(saga);
  await saga.start();
  return { saga, commands };
}

function submit(commands: TaskCommands, agent = 'fake') {
  return commands.handle('t-1', aSubmit({ agent, at: now() }), aContext());
}

/** Waits until the stored task is in `state`; fails naming the state it is in. */
async function stored(store: EventStore, state: string): Promise<TaskAggregate> {
  let task: TaskAggregate | undefined;
  try {
    await eventually(async () => {
      task = await storedTask(store, 't-1');
      return task?.status.state === state;
    });
  } catch {
    throw new Error(`task t-1 is ${task?.status.state ?? 'absent'}, expected ${state}`);
  }
  return task!;
}

const statusText = (task: TaskAggregate) =>
  task.status.message?.parts.map((part) => part.text).join('') ?? '';

const abortCause = (executor: FakeExecutor, n = 1) =>
  (executor.runs[n - 1]?.context.signal.reason as RunAborted | undefined)?.why;

async function claims(store: EventStore) {
  return (await store.readStream(taskStreamId('t-1')))
    .filter((event) => event.type === 'task.execution_started')
    .map((event) => event.data as ExecutionStarted);
}

/** A task some other instance claimed and reported working on, written straight through. */
async function givenARunOf(store: EventStore, instance: string): Promise<void> {
  const commands: TaskCommand[] = [
    aSubmit({ agent: 'fake', at: now() }),
    { type: 'StartExecution', executor: 'fake', instance, resumed: false, attempt: 1, at: now() },
    { type: 'UpdateProgress', attempt: 1, at: now() },
  ];
  await createTaskCommands(store).handle('t-1', commands, aContext());
}

describe('task lifecycle saga', () => {
  describe('runs a submitted task at once on the instance that committed it', () => {
    it('claims the run with its first report (with-first-update): one write, no read', async () => {
      const watched = watchStore(aStore());
      const executor = createFakeExecutor([gate(), emit(completed)]);
      const { commands } = await anInstance({ store: watched.store, runtime: aRuntime(executor) });

      await submit(commands);
      const run = await executor.started();
      expect(run.context).toMatchObject({
        agent: 'fake',
        resumed: false,
        task: { id: 't-1' },
        message: { messageId: 'm-1' },
      });
      expect(await storedTypes(watched.store, 't-1')).toEqual(['task.submitted']);
      executor.open();

      await stored(watched.store, 'TASK_STATE_COMPLETED');
      expect(watched.appends.map((append) => append.types)).toEqual([
        ['task.submitted'],
        ['task.execution_started', 'task.status_changed'],
      ]);
      expect(watched.reads.filter((read) => read.fromVersion !== undefined)).toEqual([]);
    });

    it('claims the run before it starts when the agent asks for that (before-run)', async () => {
      const watched = watchStore(aStore());
      const executor = createFakeExecutor([gate(), emit(completed)]);
      const runtime = aRuntime(executor, { claim: 'before-run' });
      const { commands } = await anInstance({ store: watched.store, runtime });

      await submit(commands);
      await executor.started();
      expect(await storedTypes(watched.store, 't-1')).toEqual([
        'task.submitted',
        'task.execution_started',
      ]);
      executor.open();

      await stored(watched.store, 'TASK_STATE_COMPLETED');
      expect(watched.appends.map((append) => append.types)).toEqual([
        ['task.submitted'],
        ['task.execution_started'],
        ['task.status_changed'],
      ]);
    });
  });

  describe('fails the task, saying why', () => {
    it('when the executor throws', async () => {
      const store = aStore();
      const executor = createFakeExecutor([fail(new Error('boom'))]);
      const { commands } = await anInstance({ store, runtime: aRuntime(executor) });

      await submit(commands);

      const task = await stored(store, 'TASK_STATE_FAILED');
      expect(statusText(task)).toBe('the agent failed: boom');
      expect(await storedTypes(store, 't-1')).toEqual([
        'task.submitted',
        'task.execution_started',
        'task.status_changed',
      ]);
    });

    it.each(['throw', 'return'] as const)(
      'when the run times out (an executor that %ss once aborted)',
      async (onAbort) => {
        const store = aStore();
        const executor = createFakeExecutor([gate()], { onAbort });
        const runtime = aRuntime(executor, { timeoutMs: 20 });
        const { commands } = await anInstance({ store, runtime });

        await submit(commands);

        const task = await stored(store, 'TASK_STATE_FAILED');
        expect(statusText(task)).toBe('timed out after 20 ms');
        expect(abortCause(executor)).toBe('timeout');
      },
    );

    it('when the executor returns without a final state', async () => {
      const store = aStore();
      const executor = createFakeExecutor([emit(working)]);
      const { commands } = await anInstance({ store, runtime: aRuntime(executor) });

      await submit(commands);

      const task = await stored(store, 'TASK_STATE_FAILED');
      expect(statusText(task)).toBe('the agent ended without a final state');
    });

    it('when no hosted agent runs the task', async () => {
      const store = aStore();
      const executor = createFakeExecutor([emit(completed)]);
      const { commands } = await anInstance({ store, runtime: aRuntime(executor) });

      await submit(commands, 'ghost');

      const task = await stored(store, 'TASK_STATE_FAILED');
      expect(statusText(task)).toBe('no executor for agent ghost');
      expect(await claims(store)).toEqual([]);
      expect(executor.runs).toEqual([]);
    });
  });

  describe('cancel', () => {
    it.each(['throw', 'return'] as const)(
      'aborts the run (reason canceled) and the task ends canceled (an executor that %ss)',
      async (onAbort) => {
        const store = aStore();
        const executor = createFakeExecutor([emit(working), gate()], { onAbort });
        const { saga, commands } = await anInstance({ store, runtime: aRuntime(executor) });
        await submit(commands);
        await stored(store, 'TASK_STATE_WORKING');

        const canceled = await commands.handle('t-1', { type: 'Cancel', at: now() }, aContext());

        await executor.ended();
        expect(abortCause(executor)).toBe('canceled');
        await eventually(() => saga.running === 0);
        const task = await stored(store, 'TASK_STATE_CANCELED');
        expect(task.version).toBe(canceled.task.version);
      },
    );

    it('aborts a run here when another instance accepted the cancel (shared store)', async () => {
      const inner = aStore();
      const store: EventStore = { ...inner, exclusive: false };
      const executor = createFakeExecutor([emit(working), gate()]);
      const { commands } = await anInstance({ store, runtime: aRuntime(executor) });
      await submit(commands);
      await stored(store, 'TASK_STATE_WORKING');

      await createTaskCommands(inner).handle('t-1', { type: 'Cancel', at: now() }, aContext());

      await executor.ended();
      expect(abortCause(executor)).toBe('canceled');
      await stored(store, 'TASK_STATE_CANCELED');
    });
  });

  it('starts the next run for a follow-up that arrived while a run was ending', async () => {
    const store = aStore();
    const executor = createFakeExecutor((run) =>
      run === 1 ? [emit(inputRequired), gate()] : [emit(completed)],
    );
    const { commands } = await anInstance({ store, runtime: aRuntime(executor) });
    await submit(commands);
    await stored(store, 'TASK_STATE_INPUT_REQUIRED');

    const followUp = aMessage({ messageId: 'm-2', parts: [{ text: 'more' }] });
    await commands.handle(
      't-1',
      { type: 'ReceiveMessage', message: followUp, at: now() },
      aContext(),
    );
    expect(executor.runs).toHaveLength(1); // run 1 has not returned yet
    executor.open();

    const second = await executor.started(2);
    expect(second.context.message.messageId).toBe('m-2');
    expect(second.context.task.history?.map((m) => m.messageId)).toContain('m-1');
    await stored(store, 'TASK_STATE_COMPLETED');
    expect((await claims(store)).map((claim) => claim.attempt)).toEqual([1, 2]);
  });

  describe('two instances on one store', () => {
    /** Holds each append that claims a run until `parties` of them are waiting: a real race. */
    function claimsMeet(inner: EventStore, parties: number): EventStore {
      const waiting: (() => void)[] = [];
      return {
        ...inner,
        exclusive: false,
        async append(streamId, events, options) {
          if (events.some((event) => event.type === 'task.execution_started')) {
            if (waiting.length < parties - 1) await new Promise<void>((go) => waiting.push(go));
            else for (const go of waiting.splice(0)) go();
          }
          return inner.append(streamId, events, options);
        },
      };
    }

    it.each(['before-run', 'with-first-update'] as const)(
      'lets exactly one claim win when both race for a task (%s)',
      async (claim) => {
        const inner = aStore();
        const store = claimsMeet(inner, 2);
        const leases = createMemoryInstanceLeases();
        await submit(createTaskCommands(inner));
        const a = createFakeExecutor([emit(completed)]);
        const b = createFakeExecutor([emit(completed)]);

        const [first, second] = await Promise.all([
          anInstance({
            store,
            instance: 'a',
            leases,
            leaseMs: 200,
            runtime: aRuntime(a, { claim }),
          }),
          anInstance({
            store,
            instance: 'b',
            leases,
            leaseMs: 200,
            runtime: aRuntime(b, { claim }),
          }),
        ]);

        await stored(inner, 'TASK_STATE_COMPLETED');
        await eventually(() => first.saga.running === 0 && second.saga.running === 0);
        expect(await claims(inner)).toHaveLength(1);
        expect(await storedTypes(inner, 't-1')).toEqual([
          'task.submitted',
          'task.execution_started',
          'task.status_changed',
        ]);
        const runs = [...a.runs, ...b.runs];
        if (claim === 'before-run') {
          expect(runs).toHaveLength(1);
        } else {
          // Both ran; the loser's report was refused (its emit rejected) and changed nothing.
          expect(runs).toHaveLength(2);
          expect(runs.filter((run) => run.ended && 'threw' in run.ended)).toHaveLength(1);
        }
      },
    );
  });

  describe('recovery', () => {
    function leasesAt(clock: { now: number }) {
      return createMemoryInstanceLeases(() => clock.now);
    }

    it('resumes a task whose runner’s lease expired, when its agent says resume', async () => {
      const inner = aStore();
      const store: EventStore = { ...inner, exclusive: false };
      const clock = { now: Date.now() };
      const leases = leasesAt(clock);
      await givenARunOf(inner, 'dead');
      await leases.renew('dead', 60_000);
      const executor = createFakeExecutor([emit(completed)]);

      const { saga } = await anInstance({
        store,
        instance: 'b',
        leases,
        leaseMs: 40,
        runtime: aRuntime(executor),
      });
      expect(saga.running).toBe(0); // its runner is alive: not taken over
      clock.now += 120_000;

      const run = await executor.started();
      expect(run.context.resumed).toBe(true);
      await stored(store, 'TASK_STATE_COMPLETED');
      expect(await claims(store)).toEqual([
        { attempt: 1, executor: 'fake', instance: 'dead', resumed: false },
        { attempt: 2, executor: 'fake:scripted', instance: 'b', resumed: true },
      ]);
    });

    it('fails a task whose runner’s lease expired, saying it was interrupted, when its agent says fail', async () => {
      const inner = aStore();
      const store: EventStore = { ...inner, exclusive: false };
      const clock = { now: Date.now() };
      const leases = leasesAt(clock);
      await givenARunOf(inner, 'dead');
      await leases.renew('dead', 1_000);
      clock.now += 2_000;
      const executor = createFakeExecutor([emit(completed)]);

      await anInstance({
        store,
        instance: 'b',
        leases,
        leaseMs: 40,
        runtime: aRuntime(executor, { onRestart: 'fail' }),
      });

      const task = await stored(store, 'TASK_STATE_FAILED');
      expect(statusText(task)).toBe(
        'interrupted: instance dead stopped while the task was running',
      );
      expect(executor.runs).toEqual([]);
    });

    it('resumes its own unfinished run at start, after a restart under the same name', async () => {
      const store = aStore();
      await givenARunOf(store, 'i-1');
      const executor = createFakeExecutor([emit(completed)]);

      await anInstance({ store, instance: 'i-1', runtime: aRuntime(executor) });

      expect((await executor.started()).context.resumed).toBe(true);
      await stored(store, 'TASK_STATE_COMPLETED');
    });
  });

  it('changes nothing for the reports of a run another instance superseded', async () => {
    const store = aStore();
    const executor = createFakeExecutor([emit(working), gate(), emit(completed)]);
    const { saga, commands } = await anInstance({ store, runtime: aRuntime(executor) });
    await submit(commands);
    await stored(store, 'TASK_STATE_WORKING');
    const takeover: TaskCommand = {
      type: 'StartExecution',
      executor: 'fake',
      instance: 'other',
      resumed: true,
      attempt: 2,
      at: now(),
    };
    const taken = await createTaskCommands(store).handle('t-1', takeover, aContext());

    executor.open();

    expect((await executor.ended()).ended).toEqual({ threw: new RunAborted('superseded') });
    await eventually(() => saga.running === 0);
    const task = await storedTask(store, 't-1');
    expect(task).toMatchObject({
      version: taken.task.version,
      attempts: 2,
      runner: 'other',
      status: { state: 'TASK_STATE_WORKING' },
    });
  });

  describe('stop', () => {
    it.each(['throw', 'return'] as const)(
      'aborts runs (reason shutdown), leaves their tasks resumable and frees the lease (an executor that %ss)',
      async (onAbort) => {
        const inner = aStore();
        const store: EventStore = { ...inner, exclusive: false };
        const leases = createMemoryInstanceLeases();
        const executor = createFakeExecutor([emit(working), gate()], { onAbort });
        const first = await anInstance({
          store,
          instance: 'a',
          leases,
          runtime: aRuntime(executor),
        });
        await submit(first.commands);
        await stored(store, 'TASK_STATE_WORKING');

        await first.saga.stop();

        expect(abortCause(executor)).toBe('shutdown');
        expect(first.saga.running).toBe(0);
        expect(await storedTask(store, 't-1')).toMatchObject({
          runner: 'a',
          status: { state: 'TASK_STATE_WORKING' },
        });
        expect(await leases.alive()).not.toContain('a');
        const next = createFakeExecutor([emit(completed)]);
        await anInstance({ store, instance: 'b', leases, runtime: aRuntime(next) });
        expect((await next.started()).context.resumed).toBe(true);
        await stored(store, 'TASK_STATE_COMPLETED');
      },
    );
  });
});
