import type { Hono } from 'hono';
import type { EventStore } from '../store/index.js';
import {
  evolve,
  followTask,
  isTerminal,
  readTaskTimeline,
  type TaskAggregate,
  toAuditEntry,
  toRecord,
} from '../tasks/index.js';
import { sseResponse } from './sse.js';

const TENANT = ':tenant{[A-Za-z0-9][A-Za-z0-9._-]*}';

/**
 * `GET /tasks/{id}/events`: a task's full timeline, every event with its position, type,
 * time, tenant, correlation id and data. With `Accept: text/event-stream` it follows the
 * task live until it ends.
 */
export function mountAuditRoutes(
  app: Hono,
  options: {
    store: EventStore;
    heartbeatMs: number;
    shutdown?: AbortSignal;
  },
): void {
  for (const prefix of ['', `/${TENANT}`]) {
    app.get(`${prefix}/tasks/:id/events`, async (c) => {
      const taskId = c.req.param('id');
      const tenant = c.req.param('tenant') ?? '';
      const timeline = await readTaskTimeline(options.store, taskId, tenant);
      if (!timeline)
        return c.json({ error: 'not_found', message: `task ${taskId} not found` }, 404);
      if (!(c.req.header('accept') ?? '').includes('text/event-stream')) {
        return c.json({ taskId, events: timeline });
      }
      const abort = new AbortController();
      return sseResponse(live(options.store, taskId, abort.signal), {
        heartbeatMs: options.heartbeatMs,
        onClose: () => abort.abort(),
        ...(options.shutdown ? { shutdown: options.shutdown } : {}),
      });
    });
  }
}

async function* live(store: EventStore, taskId: string, signal: AbortSignal) {
  let task: TaskAggregate | undefined;
  for await (const event of followTask(store, taskId, 0, signal)) {
    yield { id: event.globalPosition, data: toAuditEntry(event) };
    // Fold what streams by: the task's state at this very event says whether it has ended.
    task = evolve(task, toRecord(event));
    if (isTerminal(task)) return;
  }
}
