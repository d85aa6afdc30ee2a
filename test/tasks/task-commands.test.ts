import { describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../../src/events/index.js';
import { ConcurrencyError, type EventStore } from '../../src/store/index.js';
import {
  createTaskCache,
  createTaskCommands,
  newTaskId,
  type TaskAggregate,
  type TaskCommand,
  TaskNotFoundError,
  TaskTerminalError,
  taskStreamId,
} from '../../src/tasks/index.js';
import { aContext, aStore, aSubmit, storedTask, storedTypes } from '../support/task-builders.js';
import { AT, aMessage } from '../support/task-spec.js';
import { watchStore } from '../support/watched-store.js';

const progress: TaskCommand = { type: 'UpdateProgress', at: AT };
const askForInput: TaskCommand = { type: 'RequireInput', at: AT };
const complete: TaskCommand = { type: 'Complete', at: AT };
const followUp = (messageId = 'm-2', text = 'more'): TaskCommand => ({
  type: 'ReceiveMessage',
  message: aMessage({ messageId, parts: [{ text }] }),
  at: AT,
});
const artifact: TaskCommand = {
  type: 'AppendArtifact',
  artifact: { artifactId: 'a-1', parts: [{ text: 'part' }] },
  append: false,
  lastChunk: true,
  at: AT,
};

/** A status change written straight to the store, as another process would. */
const workingEvent: NewEvent = {
  type: 'task.status_changed',
  data: { status: { state: 'TASK_STATE_WORKING', timestamp: AT } },
};

describe('task command handler', () => {
  describe('decides optimistically on the copy it holds', () => {
    it('creates a new task without reading the store', async () => {
      const watched = watchStore(aStore());
      const commands = createTaskCommands(watched.store);

      const result = await commands.handle('t-1', aSubmit(), aContext());

      expect(result.changed).toBe(true);
      expect(result.task).toMatchObject({ id: 't-1', version: 1, pendingRun: true });
      expect(watched.reads).toEqual([]);
      expect(watched.snapshotLoads).toEqual([]);
    });

    it('decides a follow-up on its copy of the task, without a read', async () => {
      const watched = watchStore(aStore());
      const commands = createTaskCommands(watched.store);
      await commands.handle('t-1', [aSubmit(), askForInput], aContext());
      watched.reset();

      const result = await commands.handle('t-1', followUp(), aContext());

      expect(result.changed).toBe(true);
      expect(result.task.status.state).toBe('TASK_STATE_WORKING');
      expect(watched.reads).toEqual([]);
      expect(watched.appends).toEqual([{ streamId: 'task-t-1', types: ['task.message_received'] }]);
    });
  });

  describe('retries on a conflict', () => {
    it('reloads and decides again when another writer appended behind its back', async () => {
      const watched = watchStore(aStore());
      const handler = createTaskCommands(watched.store);
      const otherWriter = createTaskCommands(watched.store);
      await handler.handle('t-1', [aSubmit(), progress], aContext());
      await otherWriter.handle('t-1', artifact, aContext());
      watched.reset();

      const result = await handler.handle('t-1', complete, aContext());

      expect(result.changed).toBe(true);
      expect(result.task).toMatchObject({ version: 4, status: { state: 'TASK_STATE_COMPLETED' } });
      expect(result.task.artifacts).toHaveLength(1);
      // Only the tail after its copy is read.
      expect(watched.reads).toEqual([{ streamId: 'task-t-1', fromVersion: 3 }]);
      expect(watched.appends).toHaveLength(2);
      expect(await storedTypes(watched.store, 't-1')).toEqual([
        'task.submitted',
        'task.status_changed',
        'task.artifact_appended',
        'task.status_changed',
      ]);
    });

    it('gives up with the ConcurrencyError after eight conflicting attempts', async () => {
      const inner = aStore();
      let racing = false;
      let appends = 0;
      // Another writer gets in first before every append of the handler's.
      const racy: EventStore = {
        ...inner,
        async append(streamId, events, options) {
          if (racing) {
            appends += 1;
            await inner.append(streamId, [workingEvent]);
          }
          return inner.append(streamId, events, options);
        },
      };
      const commands = createTaskCommands(racy);
      await commands.handle('t-1', aSubmit(), aContext());
      racing = true;

      await expect(commands.handle('t-1', progress, aContext())).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      expect(appends).toBe(8); // MAX_ATTEMPTS in task-commands.ts
      const stored = await storedTask(inner, 't-1');
      expect(stored?.version).toBe(9); // the submit and the rival's eight events, none of ours
    });

    it('decides again on the store’s state when its stale copy refused the command', async () => {
      const watched = watchStore(aStore());
      const handler = createTaskCommands(watched.store);
      const otherWriter = createTaskCommands(watched.store);
      await handler.handle('t-1', [aSubmit(), progress], aContext());
      await otherWriter.handle('t-1', askForInput, aContext());
      watched.reset();

      // On its copy (working) the follow-up is refused; the store says input-required.
      const result = await handler.handle('t-1', followUp(), aContext());

      expect(result.changed).toBe(true);
      expect(result.task).toMatchObject({ version: 4, pendingRun: true });
      expect(result.task.history.map((m) => m.messageId)).toEqual(['m-1', 'm-2']);
      expect(watched.reads).toEqual([{ streamId: 'task-t-1', fromVersion: 3 }]);
    });

    it('refuses once the store’s state agrees with the refusal, after one read', async () => {
      const watched = watchStore(aStore());
      const handler = createTaskCommands(watched.store);
      const otherWriter = createTaskCommands(watched.store);
      await handler.handle('t-1', [aSubmit(), askForInput], aContext());
      await otherWriter.handle('t-1', complete, aContext());
      watched.reset();

      // Its copy takes the follow-up; the append conflicts; the store's task has ended.
      await expect(handler.handle('t-1', followUp(), aContext())).rejects.toBeInstanceOf(
        TaskTerminalError,
      );
      expect(watched.reads).toHaveLength(1);
      expect(await storedTypes(watched.store, 't-1')).not.toContain('task.message_received');
    });
  });

  describe('is idempotent on retries', () => {
    const idempotentId = newTaskId({ tenant: '', principal: 'alice', key: 'key-1' });

    it('answers a retried SubmitTask (same Idempotency-Key) with the task the first created', async () => {
      const store = aStore();
      const commands = createTaskCommands(store);
      const first = await commands.handle(
        idempotentId,
        aSubmit({ taskId: idempotentId }),
        aContext(),
      );

      const retry = await commands.handle(
        idempotentId,
        aSubmit({ taskId: idempotentId }),
        aContext(),
      );

      expect(retry).toEqual({ task: first.task, changed: false, events: [] });
      expect(await storedTypes(store, idempotentId)).toEqual(['task.submitted']);
    });

    it('finds the original in the store when the retry reaches a handler that never saw it', async () => {
      const store = aStore();
      const first = await createTaskCommands(store).handle(
        idempotentId,
        aSubmit({ taskId: idempotentId }),
        aContext(),
      );

      const retry = await createTaskCommands(store).handle(
        idempotentId,
        aSubmit({ taskId: idempotentId, message: aMessage({ messageId: 'm-retry' }) }),
        aContext(),
      );

      expect(retry.changed).toBe(false);
      expect(retry.events).toEqual([]);
      expect(retry.task).toEqual(first.task);
      expect(await storedTypes(store, idempotentId)).toEqual(['task.submitted']);
    });

    it('does not append a retried follow-up (same messageId and parts) twice', async () => {
      const store = aStore();
      const commands = createTaskCommands(store);
      await commands.handle('t-1', [aSubmit(), askForInput], aContext());
      await commands.handle('t-1', followUp('m-2'), aContext());

      const retry = await commands.handle('t-1', followUp('m-2'), aContext());

      expect(retry.changed).toBe(false);
      expect(retry.events).toEqual([]);
      expect(await storedTypes(store, 't-1')).toEqual([
        'task.submitted',
        'task.status_changed',
        'task.message_received',
      ]);
    });

    it('lands a retried follow-up decided on a stale copy on the original event', async () => {
      const store = aStore();
      const handler = createTaskCommands(store);
      const otherInstance = createTaskCommands(store);
      await handler.handle('t-1', [aSubmit(), askForInput], aContext());
      await otherInstance.handle('t-1', followUp('m-2'), aContext());

      // Its copy has no m-2 yet: it decides to append it, and the store knows the event id.
      const retry = await handler.handle('t-1', followUp('m-2'), aContext());

      expect(retry.changed).toBe(false);
      expect(retry.task.version).toBe(3);
      expect(await storedTypes(store, 't-1')).toEqual([
        'task.submitted',
        'task.status_changed',
        'task.message_received',
      ]);
    });
  });

  describe('keeps tenants apart', () => {
    it('answers another tenant’s commands, get and peek as if the task did not exist', async () => {
      const store = aStore();
      const commands = createTaskCommands(store);
      await commands.handle('t-1', [aSubmit(), askForInput], aContext({ tenant: 'acme' }));
      const globex = aContext({ tenant: 'globex' });

      await expect(commands.handle('t-1', followUp(), globex)).rejects.toBeInstanceOf(
        TaskNotFoundError,
      );
      await expect(commands.handle('t-1', aSubmit(), globex)).rejects.toBeInstanceOf(
        TaskNotFoundError,
      );
      expect(await commands.get('t-1', 'globex')).toBeUndefined();
      expect(await commands.peek('t-1', 'globex')).toBeUndefined();
      const cold = createTaskCommands(store);
      await expect(cold.handle('t-1', { type: 'Cancel', at: AT }, globex)).rejects.toBeInstanceOf(
        TaskNotFoundError,
      );
      expect(await cold.get('t-1', 'globex')).toBeUndefined();
      expect((await cold.get('t-1', 'acme'))?.tenant).toBe('acme');
    });

    it('does not hand another tenant’s task to a SubmitTask for its id on a cold handler', async () => {
      const store = aStore();
      await createTaskCommands(store).handle('t-1', aSubmit(), aContext({ tenant: 'acme' }));

      const cold = createTaskCommands(store);
      await expect(
        cold.handle('t-1', aSubmit(), aContext({ tenant: 'globex' })),
      ).rejects.toBeInstanceOf(TaskNotFoundError);
    });
  });

  describe('get', () => {
    it('answers from memory on an exclusive store', async () => {
      const watched = watchStore(aStore());
      const commands = createTaskCommands(watched.store);
      await commands.handle('t-1', [aSubmit(), progress], aContext());
      watched.reset();

      const task = await commands.get('t-1', '');

      expect(task).toMatchObject({ version: 2, status: { state: 'TASK_STATE_WORKING' } });
      expect(watched.reads).toEqual([]);
    });

    it('reads the tail on a shared store while the task lives, and so sees other writers', async () => {
      const inner = aStore();
      const shared = watchStore(inner, { exclusive: false });
      const commands = createTaskCommands(shared.store);
      await commands.handle('t-1', aSubmit(), aContext());
      await createTaskCommands(inner).handle('t-1', progress, aContext());
      shared.reset();

      const task = await commands.get('t-1', '');

      expect(task).toMatchObject({ version: 2, status: { state: 'TASK_STATE_WORKING' } });
      expect(shared.reads).toEqual([{ streamId: 'task-t-1', fromVersion: 2 }]);
    });

    it('answers an ended task from memory even on a shared store', async () => {
      const shared = watchStore(aStore(), { exclusive: false });
      const commands = createTaskCommands(shared.store);
      await commands.handle('t-1', [aSubmit(), complete], aContext());
      shared.reset();

      const task = await commands.get('t-1', '');

      expect(task?.status.state).toBe('TASK_STATE_COMPLETED');
      expect(shared.reads).toEqual([]);
    });
  });

  describe('observe', () => {
    async function givenACopyAndTwoForeignEvents() {
      const inner = aStore();
      const shared = watchStore(inner, { exclusive: false });
      const cache = createTaskCache();
      const commands = createTaskCommands(shared.store, { cache });
      const submitted = await commands.handle('t-1', aSubmit(), aContext());
      const other = createTaskCommands(inner);
      const second = await other.handle('t-1', progress, aContext());
      const third = await other.handle('t-1', askForInput, aContext());
      shared.reset();
      return {
        commands,
        cache,
        shared,
        own: submitted.events[0]!,
        next: second.events[0]!,
        afterNext: third.events[0]!,
      };
    }

    it('folds the next event another process wrote into the copy it holds', async () => {
      const { commands, cache, shared, next, afterNext } = await givenACopyAndTwoForeignEvents();

      commands.observe(next);
      commands.observe(afterNext);

      expect(cache.get('t-1')).toMatchObject({
        version: 3,
        status: { state: 'TASK_STATE_INPUT_REQUIRED' },
      });
      expect((await commands.peek('t-1', ''))?.version).toBe(3);
      expect(shared.reads).toEqual([]);
    });

    it('ignores an event past a gap, one it already holds, and one of a task it does not hold', async () => {
      const { commands, cache, own, afterNext } = await givenACopyAndTwoForeignEvents();
      const held = cache.get('t-1');

      commands.observe(afterNext); // version 3 onto version 1: a gap
      commands.observe(own); // version 1 again
      commands.observe({ ...afterNext, streamId: taskStreamId('t-2'), streamVersion: 1 });

      expect(cache.get('t-1')).toBe(held);
      expect(cache.get('t-2')).toBeUndefined();
    });
  });

  describe('onCommitted', () => {
    it('tells listeners of each commit: the task as it is now and the events stored', async () => {
      const commands = createTaskCommands(aStore());
      const told: { task: TaskAggregate; events: readonly StoredEvent[] }[] = [];
      commands.onCommitted((task, events) => told.push({ task, events }));

      const submitted = await commands.handle('t-1', aSubmit(), aContext());
      const completed = await commands.handle('t-1', [progress, complete], aContext());

      expect(told).toEqual([
        { task: submitted.task, events: submitted.events },
        { task: completed.task, events: completed.events },
      ]);
      expect(told[1]!.task).toMatchObject({
        version: 3,
        status: { state: 'TASK_STATE_COMPLETED' },
      });
      expect(told[1]!.events.map((event) => event.streamVersion)).toEqual([2, 3]);
    });

    it('tells no one of a command that changed nothing, nor anyone who unsubscribed', async () => {
      const commands = createTaskCommands(aStore());
      await commands.handle('t-1', aSubmit(), aContext());
      const told: number[] = [];
      const unsubscribe = commands.onCommitted((task) => told.push(task.version));

      await commands.handle('t-1', aSubmit(), aContext());
      unsubscribe();
      await commands.handle('t-1', complete, aContext());

      expect(told).toEqual([]);
    });
  });

  describe('snapshots', () => {
    it('starts a cold load of a long task it wrote from the latest snapshot', async () => {
      const watched = watchStore(aStore());
      const writer = createTaskCommands(watched.store);
      await writer.handle('t-1', aSubmit(), aContext());
      let written: TaskAggregate | undefined;
      for (let i = 0; i < 3; i++) {
        written = (await writer.handle('t-1', Array(83).fill(progress), aContext())).task;
      }
      expect(written?.version).toBe(250);
      watched.reset();

      const loaded = await createTaskCommands(watched.store).peek('t-1', '');

      expect(loaded).toEqual(written);
      expect(watched.snapshotLoads).toEqual(['task-t-1']);
      expect(watched.reads).toHaveLength(1);
      expect(watched.reads[0]!.fromVersion).toBeGreaterThan(200);
    });

    it('saves a snapshot when a cold load replays past a hundred events', async () => {
      const inner = aStore();
      await createTaskCommands(inner).handle('t-1', aSubmit(), aContext());
      // Another process wrote the long tail straight to the store.
      await inner.append(taskStreamId('t-1'), Array(149).fill(workingEvent));
      const watched = watchStore(inner);
      await createTaskCommands(watched.store).peek('t-1', '');
      expect(watched.reads).toEqual([{ streamId: 'task-t-1', fromVersion: 1 }]);
      watched.reset();

      const task = await createTaskCommands(watched.store).peek('t-1', '');

      expect(task?.version).toBe(150);
      expect(watched.reads).toEqual([{ streamId: 'task-t-1', fromVersion: 151 }]);
    });
  });
});
