import { type EventRegistry, mapSensitive } from '../events/index.js';
import { TASK_STATE_SENSITIVE_PATHS, type TaskAggregate } from '../tasks/index.js';
import { isRedacted, type RedactionReason, redacted } from './cipher.js';

/**
 * An event payload (in its type's latest shape, as reads return it) with each personal-data
 * field replaced by `{ "$redacted": reason }`. A field already redacted keeps its reason
 * (`shredded` says more than `scope`).
 */
export function redactEventData(
  registry: EventRegistry,
  type: string,
  data: unknown,
  reason: RedactionReason,
): unknown {
  const paths = registry.sensitivePaths(type);
  if (paths.length === 0) return data;
  return mapSensitive(data, paths, (value) => (isRedacted(value) ? value : redacted(reason)));
}

/** A task's folded state with its personal data redacted: what read models keep after a shred. */
export function redactTask(task: TaskAggregate, reason: RedactionReason): TaskAggregate {
  return mapSensitive(task, TASK_STATE_SENSITIVE_PATHS, (value) =>
    isRedacted(value) ? value : redacted(reason),
  ) as TaskAggregate;
}
