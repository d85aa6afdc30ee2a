import { A2aError, toJsonRpcError } from '../a2a/index.js';
import { hasScope, type Principal, SCOPES, tenantToRead } from '../auth/index.js';
import { textProblem } from '../protocol/index.js';
import type { EventStore } from '../store/index.js';
import { type AuditEntry, readTaskTimeline } from '../tasks/index.js';
import { A2aCallError } from './a2a-calls.js';

/**
 * A task's audit timeline under the rules of `GET /tasks/{id}/events` (http/audit-routes.ts):
 * the read scope, and the tenant the credentials reach (`tenantToRead`).
 */
export async function readAuditTimeline(
  store: EventStore,
  caller: Principal,
  taskId: string,
  tenant: string | undefined,
  denied?: (reason: string) => void,
): Promise<AuditEntry[]> {
  if (!hasScope(caller, SCOPES.read)) {
    denied?.(`missing scope ${SCOPES.read}`);
    throw refusal(
      new A2aError('PERMISSION_DENIED', `this call needs the scope ${SCOPES.read}`, {
        metadata: { scope: SCOPES.read },
      }),
    );
  }
  const notFound = refusal(
    new A2aError('TASK_NOT_FOUND', `task ${taskId} not found`, { metadata: { taskId } }),
  );
  const scope = tenantToRead(caller, tenant);
  if (scope === false) {
    denied?.('credentials bound to another tenant');
    throw notFound;
  }
  // An id no task can have (NUL, a lone surrogate) is simply absent: the database refuses it.
  if (
    textProblem(taskId) !== undefined ||
    (scope !== undefined && textProblem(scope) !== undefined)
  )
    throw notFound;
  const timeline = await readTaskTimeline(store, taskId, scope);
  if (!timeline) throw notFound;
  return timeline;
}

function refusal(error: A2aError): A2aCallError {
  return new A2aCallError(toJsonRpcError(error).error);
}
