import type { Hono, MiddlewareHandler } from 'hono';
import { type RpcEnv, sseResponse } from '../a2a/index.js';
import { hasScope, SCOPES, SECURITY_STREAM, tenantToRead } from '../auth/index.js';
import { createEventRegistry } from '../events/index.js';
import { redactEventData } from '../privacy/index.js';
import { textProblem } from '../protocol/index.js';
import type { EventStore } from '../store/index.js';
import {
  type AuditEntry,
  followTask,
  isTerminal,
  readTaskTimeline,
  registerTaskEvents,
  toAuditEntry,
} from '../tasks/index.js';
import { anyone, callerOf, requireScope } from './authenticate.js';

// A task's timeline holds task events only: their declarations say what is personal data.
const TASK_EVENTS = registerTaskEvents(createEventRegistry());

/** A caller without the PII scope (or admin) sees the audit skeleton, not what was said. */
function forCaller(pii: boolean): (entry: AuditEntry) => AuditEntry {
  if (pii) return (entry) => entry;
  return (entry) => ({
    ...entry,
    data: redactEventData(TASK_EVENTS, entry.type, entry.data, 'scope'),
  });
}

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
    authenticate?: MiddlewareHandler<RpcEnv>;
  },
): void {
  const guard = options.authenticate ?? anyone;

  // Refused requests (security-events.ts), oldest first, paged by `after` (a version).
  app.get('/audit/security', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    const after = Math.max(0, Number.parseInt(c.req.query('after') ?? '0', 10) || 0);
    const limit = Math.min(
      1_000,
      Math.max(1, Number.parseInt(c.req.query('limit') ?? '100', 10) || 100),
    );
    const events = await options.store.readStream(SECURITY_STREAM, {
      fromVersion: after + 1,
      limit,
    });
    return c.json({
      events: events.map((event) => ({
        version: event.streamVersion,
        position: event.globalPosition,
        timestamp: event.timestamp,
        ...(event.metadata.tenant ? { tenant: event.metadata.tenant } : {}),
        ...(event.data as object),
      })),
      next: events.length === limit ? events.at(-1)!.streamVersion : null,
    });
  });
  for (const prefix of ['', `/${TENANT}`]) {
    app.get(`${prefix}/tasks/:id/events`, guard, async (c) => {
      const denied = requireScope(c, SCOPES.read);
      if (denied) return denied;
      const taskId = c.req.param('id');
      const tenant = tenantToRead(callerOf(c), c.req.param('tenant'));
      if (tenant === false) c.get('deny')?.('credentials bound to another tenant');
      // An id no task can have (a decoded %00 that the database would refuse) is simply absent.
      const storable =
        tenant !== false &&
        textProblem(taskId) === undefined &&
        (tenant === undefined || textProblem(tenant) === undefined);
      const timeline = storable ? await readTaskTimeline(options.store, taskId, tenant) : undefined;
      if (!timeline)
        return c.json({ error: 'not_found', message: `task ${taskId} not found` }, 404);
      const shown = forCaller(hasScope(callerOf(c), SCOPES.auditPii));
      if (!(c.req.header('accept') ?? '').includes('text/event-stream')) {
        return c.json({ taskId, events: timeline.map(shown) });
      }
      const abort = new AbortController();
      return sseResponse(live(options.store, taskId, shown, abort.signal), c.env?.outgoing, {
        heartbeatMs: options.heartbeatMs,
        onClose: () => abort.abort(STREAM_ENDED),
        ...(options.shutdown ? { shutdown: options.shutdown } : {}),
      });
    });
  }
}

async function* live(
  store: EventStore,
  taskId: string,
  shown: (entry: AuditEntry) => AuditEntry,
  signal: AbortSignal,
) {
  for await (const { event, task } of followTask(store, taskId, { signal })) {
    yield { id: event.globalPosition, data: shown(toAuditEntry(event)) };
    if (isTerminal(task)) return;
  }
}
