import type { StoredEvent } from '../events/index.js';
import type { StreamResponse } from '../protocol/index.js';
import type { TaskEvent } from './events.js';
import type { TaskAggregate } from './state.js';

/**
 * What a client sees of one stored task event (§4.2), on a stream or at a webhook (§4.3.3):
 * status and artifact updates. Events the client has no shape for (a run being claimed, a
 * webhook set) show nothing; a direct reply is a Message.
 */
export function toStreamResponse(
  task: TaskAggregate,
  event: StoredEvent,
): StreamResponse | undefined {
  const record = event as StoredEvent & TaskEvent;
  const ids = { taskId: task.id, contextId: task.contextId };
  switch (record.type) {
    case 'task.status_changed':
      return { statusUpdate: { ...ids, status: record.data.status } };
    case 'task.message_received':
      // The follow-up itself is the client's; what changed is the task's status.
      return { statusUpdate: { ...ids, status: task.status } };
    case 'task.artifact_appended':
      return {
        artifactUpdate: {
          ...ids,
          artifact: record.data.artifact,
          append: record.data.append,
          lastChunk: record.data.lastChunk,
        },
      };
    case 'task.replied':
      return { message: record.data.message };
    default:
      return undefined;
  }
}
