import type { Hono } from 'hono';
import { type RpcEnv, sseResponse } from '../a2a/index.js';
import { textProblem } from '../protocol/index.js';
import type { EventStore } from '../store/index.js';
import { followTask, isTerminal, readTaskTimeline, toAuditEntry } from '../tasks/index.js';

const STREAM_ENDED = new Error('the audit stream ended');

const TENANT = ':tenant{[A-Za-z0-9][A-Za-z0-9._-]*}';

/**
 * `GET /tasks/{id}/events`: a task's full timeline, every event with its position, type,
 * time, tenant, correlation id and data. With `Accept: text/event-stream` it follows the
 * task live until it ends.
 */
export function mountAuditRoutes(
  app: Hono<RpcEnv>,
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
      // An id no task can have (a decoded %00 that the database would refuse) is simply absent.
      const storable = textProblem(taskId) === undefined && textProblem(tenant) === undefined;
      const timeline = storable ? await readTaskTimeline(options.store, taskId, tenant) : undefined;
      if (!timeline)
        return c.json({ error: 'not_found', message: `task ${taskId} not found` }, 404);
      if (!(c.req.header('accept') ?? '').includes('text/event-stream')) {
        return c.json({ taskId, events: timeline });
      }
      const abort = new AbortController();
      return sseResponse(live(options.store, taskId, abort.signal), c.env?.outgoing, {
        heartbeatMs: options.heartbeatMs,
        onClose: () => abort.abort(STREAM_ENDED),
        ...(options.shutdown ? { shutdown: options.shutdown } : {}),
      });
    });
  }
}

async function* live(store: EventStore, taskId: string, signal: AbortSignal) {
  for await (const { event, task } of followTask(store, taskId, { signal })) {
    yield { id: event.globalPosition, data: toAuditEntry(event) };
    if (isTerminal(task)) return;
  }
}
