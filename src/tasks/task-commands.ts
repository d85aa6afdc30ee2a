import type { NewEvent, StoredEvent } from '../events/index.js';
import { ConcurrencyError, type EventStore } from '../store/index.js';
import type { TaskCommand } from './commands.js';
import { decide } from './decide.js';
import { TaskNotFoundError } from './errors.js';
import { type TaskEvent, taskStreamId } from './events.js';
import { evolve } from './evolve.js';
import { foldAll } from './fold.js';
import { eventIds } from './ids.js';
import { isTerminal, type TaskAggregate, type TaskFold } from './state.js';
import { createTaskCache, type TaskCache } from './task-cache.js';
import { cachedTaskLoader, createTaskLoader, snapshotIfDue } from './task-loader.js';

/** Who asks, and the request the events will point back to (audit: request → events). */
export interface CommandContext {
  tenant: string;
  principal?: string;
  correlationId: string;
  causationId?: string;
  source?: string;
  /** W3C traceparent of the span that caused the command, kept in the events' metadata. */
  traceparent?: string;
}

export interface CommandResult {
  task: TaskAggregate;
  /** False when the command changed nothing (a retried request, a duplicate message). */
  changed: boolean;
  /** The events the command stored, as a read returns them (none when nothing changed). */
  events: StoredEvent[];
}

/** A command with its own context, when one append carries commands of several parties. */
export interface AttributedCommand {
  command: TaskCommand;
  context: CommandContext;
}

/** Told of every command this process stored, right after the commit: the task as it is now. */
export type CommittedListener = (task: TaskAggregate, events: readonly StoredEvent[]) => void;

export interface TaskCommands {
  /**
   * Decides and appends with the version decided on; retries on a race. Several commands
   * are decided in turn and appended together, atomically.
   */
  handle(
    taskId: string,
    command: TaskCommand | readonly (TaskCommand | AttributedCommand)[],
    context: CommandContext,
  ): Promise<CommandResult>;
  /**
   * The task with every write that completed before the call (GetTask): from memory when
   * that copy must be current (the store is exclusive, or the task has ended), else read.
   * Undefined when absent or in another tenant. An ended task's push configs may still
   * change (in another instance): `pushConfigs` asks for them current too.
   */
  get(
    taskId: string,
    tenant: string,
    options?: { pushConfigs?: boolean },
  ): Promise<TaskAggregate | undefined>;
  /** The latest state this process holds, loaded when it holds none. */
  peek(taskId: string, tenant: string): Promise<TaskAggregate | undefined>;
  /** Folds a stored event of another process into the copy held here, when it is the next. */
  observe(event: StoredEvent): void;
  onCommitted(listener: CommittedListener): () => void;
}

const MAX_ATTEMPTS = 8;

/**
 * The only writer of task streams (one per store). Optimistic: decides on the copy it holds
 * (a new task needs no read at all) and lets the store's expected version catch a stale
 * decision; only a conflict, or a refusal decided on a copy, costs a read.
 */
export function createTaskCommands(
  store: EventStore,
  options: { cache?: TaskCache } = {},
): TaskCommands {
  const cache = options.cache ?? createTaskCache();
  const loader = cachedTaskLoader(createTaskLoader(store), cache);
  const listeners = new Set<CommittedListener>();

  async function handle(
    taskId: string,
    commands: TaskCommand | readonly (TaskCommand | AttributedCommand)[],
    context: CommandContext,
  ): Promise<CommandResult> {
    const batch = (Array.isArray(commands) ? commands : [commands]).map(
      (item: TaskCommand | AttributedCommand): AttributedCommand =>
        'command' in item ? item : { command: item, context },
    );
    const submits = batch[0]!.command.type === 'SubmitTask';
    let task = submits ? cache.get(taskId) : await loader.load(taskId);
    let fresh = false;
    for (let attempt = 1; ; attempt++) {
      if (task && task.tenant !== context.tenant) throw new TaskNotFoundError(taskId);
      if (!task && !submits) throw new TaskNotFoundError(taskId);
      // A retried SubmitTask (same Idempotency-Key → same task id) finds its own task.
      if (task && submits) return { task, changed: false, events: [] };

      let decided: NewEvent[];
      try {
        decided = decideAll(batch, task).map((event) => toNewEvent(taskId, event));
      } catch (error) {
        // A refusal decided on a copy may be out of date: decide again on the store's word.
        if (fresh) throw error;
        task = await loader.load(taskId, { fresh: true });
        fresh = true;
        continue;
      }
      if (decided.length === 0) return { task: task!, changed: false, events: [] };
      try {
        const result = await store.append(taskStreamId(taskId), decided, {
          expectedVersion: task?.version ?? 'no_stream',
        });
        if (result.alreadyAppended) {
          const stored = (await loader.load(taskId, { fresh: true }))!;
          // A submit decided on no copy checked no tenant: the stored task may be another's.
          if (stored.tenant !== context.tenant) throw new TaskNotFoundError(taskId);
          return { task: stored, changed: false, events: [] };
        }
        // No await between the commit and these lines: whoever learns of the commit next
        // (a follower answering its client, then that client's next request) finds it here.
        const next = foldAll(task, result.events)!;
        cache.set(next);
        snapshotIfDue(store, task?.version ?? 0, next);
        for (const listener of listeners) listener(next, result.events);
        return { task: next, changed: true, events: result.events };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
        task = await loader.load(taskId, { fresh: true });
        fresh = true;
      }
    }
  }

  return {
    handle,
    async get(taskId, tenant, options) {
      const held = cache.get(taskId);
      const task =
        held && (store.exclusive || (isTerminal(held) && !options?.pushConfigs))
          ? held
          : await loader.load(taskId, { fresh: true });
      return task?.tenant === tenant ? task : undefined;
    },
    async peek(taskId, tenant) {
      const task = await loader.load(taskId);
      return task?.tenant === tenant ? task : undefined;
    },
    observe(event) {
      const held = cache.get(event.streamId.slice('task-'.length));
      if (held && held.version === event.streamVersion - 1) cache.set(foldAll(held, [event])!);
    },
    onCommitted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

type DecidedEvent = TaskEvent & { at: string; context: CommandContext };

/** Decides each command on the state the previous ones leave; each event keeps its origin. */
function decideAll(
  commands: readonly AttributedCommand[],
  task: TaskFold | undefined,
): DecidedEvent[] {
  const decided: DecidedEvent[] = [];
  let state = task;
  for (const { command, context } of commands) {
    for (const event of decide(command, state)) {
      decided.push({ ...event, at: command.at, context });
      state = evolve(state, event, command.at);
    }
  }
  return decided;
}

function toNewEvent(taskId: string, event: DecidedEvent): NewEvent {
  const { context } = event;
  const id = eventIdFor(taskId, event);
  return {
    ...(id ? { id } : {}),
    type: event.type,
    data: event.data,
    // The command's time: the stored events and the state folded from them agree exactly.
    timestamp: event.at,
    correlationId: context.correlationId,
    ...(context.causationId ? { causationId: context.causationId } : {}),
    metadata: {
      // The default tenant ('') is the absence of one.
      ...(context.tenant ? { tenant: context.tenant } : {}),
      ...(context.principal ? { principal: context.principal } : {}),
      ...(context.source ? { source: context.source } : {}),
      ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    },
  };
}

function eventIdFor(taskId: string, event: TaskEvent): string | undefined {
  if (event.type === 'task.submitted') return eventIds.submitted(taskId);
  if (event.type === 'task.message_received') {
    return eventIds.messageReceived(taskId, event.data.message.messageId, event.data.message.parts);
  }
  return undefined;
}
