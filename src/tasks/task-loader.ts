import type { EventStore } from '../store/index.js';
import { taskStreamId } from './events.js';
import { foldAll } from './fold.js';
import type { TaskAggregate } from './state.js';
import type { TaskCache } from './task-cache.js';

export interface TaskLoader {
  /**
   * The task as its stored events say now, or undefined when it does not exist. `fresh`
   * asks for the store's word, not a copy kept in memory.
   */
  load(taskId: string, options?: { fresh?: boolean }): Promise<TaskAggregate | undefined>;
}

const SNAPSHOT_EVERY = 100;

/**
 * Loads a task from its snapshot (or from `from`, a state already held) plus the events
 * stored after it, and saves a snapshot every 100 events so a long task stays quick to load.
 */
export function createTaskLoader(store: EventStore): TaskLoader & {
  loadAfter(taskId: string, from: TaskAggregate | undefined): Promise<TaskAggregate | undefined>;
} {
  async function loadAfter(taskId: string, from: TaskAggregate | undefined) {
    const streamId = taskStreamId(taskId);
    const base = from ?? (await store.loadSnapshot<TaskAggregate>(streamId))?.state;
    const tail = await store.readStream(streamId, { fromVersion: (base?.version ?? 0) + 1 });
    const task = foldAll(base, tail);
    if (task) snapshotIfDue(store, base?.version ?? 0, task);
    return task;
  }
  return { load: (taskId) => loadAfter(taskId, undefined), loadAfter };
}

/**
 * Saves `task` as its stream's snapshot when it has passed a multiple of 100 events since
 * version `before`: on loads, and on the writer's own appends, which read nothing.
 */
export function snapshotIfDue(store: EventStore, before: number, task: TaskAggregate): void {
  if (Math.floor(task.version / SNAPSHOT_EVERY) <= Math.floor(before / SNAPSHOT_EVERY)) return;
  // An optimisation only: a failed save costs a longer replay next time, nothing else.
  void store.saveSnapshot(taskStreamId(task.id), task.version, task).catch(() => {});
}

/**
 * The loader behind a cache: a copy in memory answers unless the caller wants the store's
 * word, and then only the events stored after the copy are read.
 */
export function cachedTaskLoader(
  loader: ReturnType<typeof createTaskLoader>,
  cache: TaskCache,
): TaskLoader {
  return {
    async load(taskId, options = {}) {
      const held = cache.get(taskId);
      if (held && !options.fresh) return held;
      const task = await loader.loadAfter(taskId, held);
      if (task) cache.set(task);
      return task;
    },
  };
}
