import type { TaskAggregate } from './state.js';

/**
 * The latest known state of recently used tasks, bounded (least recently used goes first):
 * what the command handler decides on and what GetTask answers from. The store stays the
 * truth; a copy is only ever replaced by a newer version of itself.
 */
export interface TaskCache {
  get(taskId: string): TaskAggregate | undefined;
  /** Keeps `task` unless the cache holds a newer version of it. */
  set(task: TaskAggregate): void;
  delete(taskId: string): void;
  /** Forgets every copy (a tenant's data was shredded: copies must not outlive it). */
  clear(): void;
  readonly size: number;
}

export function createTaskCache(capacity = 10_000): TaskCache {
  const tasks = new Map<string, TaskAggregate>();
  return {
    get(taskId) {
      const task = tasks.get(taskId);
      if (task) {
        tasks.delete(taskId);
        tasks.set(taskId, task);
      }
      return task;
    },
    set(task) {
      const held = tasks.get(task.id);
      if (held && held.version > task.version) return;
      tasks.delete(task.id);
      tasks.set(task.id, task);
      if (tasks.size > capacity) tasks.delete(tasks.keys().next().value!);
    },
    delete(taskId) {
      tasks.delete(taskId);
    },
    clear() {
      tasks.clear();
    },
    get size() {
      return tasks.size;
    },
  };
}
