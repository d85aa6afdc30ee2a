import type { StoredEvent } from '../events/index.js';
import type { TaskEvent } from './events.js';
import { evolve } from './evolve.js';
import type { TaskAggregate } from './state.js';

/**
 * A stored task event folded in: the pure fold of its payload, then the store's bookkeeping
 * (version, position, and the tenant and principal its first event was stored under).
 */
export function foldStored(task: TaskAggregate | undefined, event: StoredEvent): TaskAggregate {
  // `evolve` always returns a new object: it is ours to complete, no second copy needed.
  const next = evolve(task, event as StoredEvent & TaskEvent, event.timestamp) as TaskAggregate;
  next.tenant = task?.tenant ?? event.metadata.tenant ?? '';
  const owner = task ? task.owner : event.metadata.principal;
  if (owner !== undefined) next.owner = owner;
  next.version = event.streamVersion;
  next.position = event.globalPosition;
  return next;
}

/** Folds `events` in order onto `task`, skipping those it already holds (at or below its version). */
export function foldAll(
  task: TaskAggregate | undefined,
  events: readonly StoredEvent[],
): TaskAggregate | undefined {
  let current = task;
  for (const event of events) {
    if (current && event.streamVersion <= current.version) continue;
    current = foldStored(current, event);
  }
  return current;
}
