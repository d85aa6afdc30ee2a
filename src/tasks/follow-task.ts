import type { StoredEvent } from '../events/index.js';
import type { EventStore } from '../store/index.js';
import { taskStreamId } from './events.js';

/**
 * The events of one task after `after` (a global position), stored ones first and then live
 * ones, until the consumer stops. Blocking SendMessage, SSE streams and resubscription are
 * all this one subscription.
 */
export function followTask(
  store: EventStore,
  taskId: string,
  after: number,
  signal?: AbortSignal,
): AsyncIterable<StoredEvent> {
  return store.subscribe({ streamId: taskStreamId(taskId), from: after, signal, batchSize: 500 });
}
