import type { StoredEvent } from '../events/index.js';
import type { EventStore } from '../store/index.js';
import { taskStreamId } from './events.js';
import { foldStored } from './fold.js';
import type { TaskAggregate } from './state.js';

/** One step of a task: the event as stored, and the task as it stands after it. */
export interface TaskUpdate {
  event: StoredEvent;
  task: TaskAggregate;
}

/** A task's updates as they come; `close` frees it when the caller stops early. */
export interface TaskFollower extends AsyncIterable<TaskUpdate> {
  close(): void;
}

/**
 * A task's events after the state `after` (from its first event when undefined), stored ones
 * first and then each new one as soon as it is committed, folded as they pass, until the
 * consumer stops, `close` is called or `signal` aborts. Blocking SendMessage, SSE streams,
 * resubscription and the audit stream are all this one loop. It follows from the moment it
 * is made, not from its first iteration: whatever is committed in between is not missed.
 */
export function followTask(
  store: EventStore,
  taskId: string,
  options: {
    after?: TaskAggregate;
    /** The task is not stored yet and its id is random: no read before following it. */
    unstored?: boolean;
    signal?: AbortSignal;
  } = {},
): TaskFollower {
  let task = options.after;
  const subscription = store.subscribeToStream(taskStreamId(taskId), {
    afterVersion: task?.version ?? 0,
    newStream: options.unstored === true && !task,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  async function* updates(): AsyncGenerator<TaskUpdate> {
    try {
      for await (const event of subscription) {
        task = foldStored(task, event);
        yield { event, task };
      }
    } finally {
      subscription.close();
    }
  }
  const iterator = updates();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: () => subscription.close(),
  };
}

/**
 * The task as it stood right after the event at `position` (a position a client saw, such as
 * an SSE `Last-Event-ID`): undefined when no event of the task is at or below it.
 */
export async function taskAt(
  store: EventStore,
  taskId: string,
  position: number,
): Promise<TaskAggregate | undefined> {
  let task: TaskAggregate | undefined;
  for (const event of await store.readStream(taskStreamId(taskId))) {
    if (event.globalPosition > position) break;
    task = foldStored(task, event);
  }
  return task;
}
