import type { StoredEvent } from '../events/index.js';
import { ConcurrencyError, type EventStore } from '../store/index.js';
import type { TaskCommand } from './commands.js';
import { decide } from './decide.js';
import { TaskNotFoundError } from './errors.js';
import { type TaskEvent, taskStreamId } from './events.js';
import { evolve, type TaskEventRecord } from './evolve.js';
import { eventIds } from './ids.js';
import type { TaskAggregate } from './state.js';

/** Who asks, and the request the events will point back to (audit: request → events). */
export interface CommandContext {
  tenant: string;
  principal?: string;
  correlationId: string;
  causationId?: string;
  source?: string;
}

export interface CommandResult {
  task: TaskAggregate;
  /** False when the command changed nothing (a retried request, a duplicate message). */
  changed: boolean;
}

export interface TaskCommands {
  /**
   * Decides and appends with the version decided on; retries on a race. Several commands
   * are decided in turn and appended together, atomically.
   */
  handle(
    taskId: string,
    command: TaskCommand | readonly TaskCommand[],
    context: CommandContext,
  ): Promise<CommandResult>;
  /** The task as its events say now; undefined when absent or in another tenant. */
  load(taskId: string, tenant: string): Promise<TaskAggregate | undefined>;
  /** Like `load`, but content with this process's latest copy when it has one. */
  peek(taskId: string, tenant: string): Promise<TaskAggregate | undefined>;
  /**
   * Folds a stored event this process has seen into its copy of the task when it is the next
   * one (or the first): followers keep the copy warm so the next command needs no read.
   */
  observe(event: StoredEvent): void;
}

const MAX_ATTEMPTS = 8;
const CACHE_SIZE = 10_000;
const SNAPSHOT_EVERY = 100;

/**
 * The only writer of task streams. Keeps recently used tasks in memory and reads just the
 * events appended since (by anyone: the cache is a snapshot, the store stays the truth), and
 * saves a store snapshot every 100 events so a cold load of a long task stays short.
 */
export function createTaskCommands(store: EventStore): TaskCommands {
  const cache = new Map<string, TaskAggregate>();

  function remember(task: TaskAggregate): void {
    cache.delete(task.id);
    cache.set(task.id, task);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }

  async function current(taskId: string): Promise<TaskAggregate | undefined> {
    let task = cache.get(taskId);
    if (!task) {
      const snapshot = await store.loadSnapshot<TaskAggregate>(taskStreamId(taskId));
      task = snapshot?.state;
    }
    const tail = await store.readStream(taskStreamId(taskId), {
      fromVersion: (task?.version ?? 0) + 1,
    });
    const before = task?.version ?? 0;
    for (const event of tail) task = evolve(task, toRecord(event));
    if (task) {
      remember(task);
      if (Math.floor(task.version / SNAPSHOT_EVERY) > Math.floor(before / SNAPSHOT_EVERY)) {
        // An optimisation only: a failed save costs a longer replay next time, nothing else.
        void store.saveSnapshot(taskStreamId(taskId), task.version, task).catch(() => {});
      }
    }
    return task;
  }

  /**
   * Optimistic: decides on the cached state (or, for a new task, on none) and lets the
   * store's expected version catch a stale decision; only a conflict costs a read.
   */
  async function handle(
    taskId: string,
    commands: TaskCommand | readonly TaskCommand[],
    context: CommandContext,
  ): Promise<CommandResult> {
    const batch = Array.isArray(commands)
      ? (commands as readonly TaskCommand[])
      : [commands as TaskCommand];
    const command = batch[0]!;
    let task = cache.get(taskId);
    let fresh = false;
    if (!task && command.type !== 'SubmitTask') {
      task = await current(taskId);
      fresh = true;
    }
    for (let attempt = 1; ; attempt++) {
      if (task && task.tenant !== context.tenant) throw new TaskNotFoundError(taskId);
      if (!task && command.type !== 'SubmitTask') throw new TaskNotFoundError(taskId);
      // A retried SubmitTask (same Idempotency-Key → same task id) finds its own task.
      if (task && command.type === 'SubmitTask') return { task, changed: false };

      let events: (TaskEvent & { at: string })[];
      try {
        events = decideAll(batch, task);
      } catch (error) {
        // A refusal decided on a cached state may be out of date: decide again on the store's.
        if (fresh) throw error;
        task = await current(taskId);
        fresh = true;
        continue;
      }
      if (events.length === 0) return { task: task!, changed: false };
      try {
        const result = await store.append(
          taskStreamId(taskId),
          events.map((event) => ({
            id: eventIdFor(taskId, event),
            type: event.type,
            data: event.data,
            // The command's time: the stored events and the state folded here agree exactly.
            timestamp: event.at,
            correlationId: context.correlationId,
            ...(context.causationId ? { causationId: context.causationId } : {}),
            metadata: {
              // The default tenant ('') is the absence of one.
              ...(context.tenant ? { tenant: context.tenant } : {}),
              ...(context.principal ? { principal: context.principal } : {}),
              ...(context.source ? { source: context.source } : {}),
            },
          })),
          { expectedVersion: task?.version ?? 'no_stream' },
        );
        if (result.alreadyAppended) {
          cache.delete(taskId);
          return { task: (await current(taskId))!, changed: false };
        }
        let next = task;
        events.forEach((event, index) => {
          next = evolve(next, {
            ...event,
            timestamp: event.at,
            streamVersion: result.nextExpectedVersion - events.length + index + 1,
            globalPosition: result.positions[index]!,
            tenant: context.tenant,
          });
        });
        remember(next!);
        return { task: next!, changed: true };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
        task = await current(taskId);
        fresh = true;
      }
    }
  }

  return {
    handle,
    async load(taskId, tenant) {
      const task = await current(taskId);
      return task && task.tenant === tenant ? task : undefined;
    },
    observe(event) {
      const taskId = event.streamId.slice('task-'.length);
      const cached = cache.get(taskId);
      if ((cached?.version ?? 0) !== event.streamVersion - 1) return;
      remember(evolve(cached, toRecord(event)));
    },
    async peek(taskId, tenant) {
      const task = cache.get(taskId) ?? (await current(taskId));
      return task && task.tenant === tenant ? task : undefined;
    },
  };
}

/** Decides each command on the state the previous ones leave. */
function decideAll(
  commands: readonly TaskCommand[],
  task: TaskAggregate | undefined,
): (TaskEvent & { at: string })[] {
  const decided: (TaskEvent & { at: string })[] = [];
  let state = task;
  for (const command of commands) {
    for (const event of decide(command, state)) {
      decided.push({ ...event, at: command.at });
      const version = (state?.version ?? 0) + 1;
      state = evolve(state, {
        ...event,
        timestamp: command.at,
        streamVersion: version,
        globalPosition: 0,
        tenant: state?.tenant ?? '',
      });
    }
  }
  return decided;
}

function eventIdFor(taskId: string, event: TaskEvent): string | undefined {
  if (event.type === 'task.submitted') return eventIds.submitted(taskId);
  if (event.type === 'task.message_received') {
    return eventIds.messageReceived(taskId, event.data.message.messageId, event.data.message.parts);
  }
  return undefined;
}

export function toRecord(event: StoredEvent): TaskEventRecord {
  return {
    type: event.type,
    data: event.data,
    timestamp: event.timestamp,
    streamVersion: event.streamVersion,
    globalPosition: event.globalPosition,
    tenant: event.metadata.tenant ?? '',
  } as TaskEventRecord;
}
