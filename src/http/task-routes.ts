import type { Hono, MiddlewareHandler } from 'hono';
import type { RpcEnv } from '../a2a/index.js';
import { SCOPES, tenantToRead } from '../auth/index.js';
import { textProblem } from '../protocol/index.js';
import type { EventStore } from '../store/index.js';
import { type AsOfPoint, parseAsOf, taskAsOf, toTask } from '../tasks/index.js';
import { anyone, callerOf, requireScope } from './authenticate.js';

const TENANT = ':tenant{[A-Za-z0-9][A-Za-z0-9._-]*}';

/**
 * `GET [/{tenant}]/tasks/{id}?asOf=<ISO time | position>`: the task as its events say it
 * stood then (now, without `asOf`), as GetTask shows a task, with the global position and
 * time of the last event folded. The audit route's rules: the read scope, the caller's tenant
 * (another tenant's task is absent), admins any tenant.
 */
export function mountTaskRoutes(
  app: Hono<RpcEnv>,
  options: { store: EventStore; authenticate?: MiddlewareHandler<RpcEnv> },
): void {
  const guard = options.authenticate ?? anyone;
  for (const prefix of ['', `/${TENANT}`]) {
    app.get(`${prefix}/tasks/:id`, guard, async (c) => {
      const denied = requireScope(c, SCOPES.read);
      if (denied) return denied;
      const asOf = c.req.queries('asOf');
      let point: AsOfPoint | undefined;
      if (asOf !== undefined) {
        point = asOf.length === 1 ? parseAsOf(asOf[0]!) : undefined;
        if (!point)
          return c.json(
            {
              error: 'invalid_request',
              message:
                'asOf must be one ISO 8601 time with a zone (2026-01-31T12:00:00Z) or a global position (digits)',
            },
            400,
          );
      }
      const taskId = c.req.param('id');
      const tenant = tenantToRead(callerOf(c), c.req.param('tenant'));
      if (tenant === false) c.get('deny')?.('credentials bound to another tenant');
      // An id no task can have (a decoded %00 that the database would refuse) is simply absent.
      const storable =
        tenant !== false &&
        textProblem(taskId) === undefined &&
        (tenant === undefined || textProblem(tenant) === undefined);
      const found = storable ? await taskAsOf(options.store, taskId, point) : undefined;
      if (!found || (tenant !== undefined && found.task.tenant !== tenant)) {
        const when = point ? ` as of ${asOf![0]}` : '';
        return c.json({ error: 'not_found', message: `task ${taskId} not found${when}` }, 404);
      }
      return c.json({
        task: toTask(found.task),
        position: String(found.position),
        time: found.time,
      });
    });
  }
}
