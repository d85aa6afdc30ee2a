import { A2aError, toJsonRpcError } from '../a2a/index.js';
import { coversTenant, hasScope, type Principal, SCOPES } from '../auth/index.js';
import { textProblem } from '../protocol/index.js';
import type { EventStore } from '../store/index.js';
import { type AuditEntry, readTaskTimeline } from '../tasks/index.js';
import { A2aCallError } from './a2a-calls.js';

/**
 * A task's audit timeline under the rules of `GET /tasks/{id}/events` (http/audit-routes.ts):
 * the read scope; a tenant named must be covered by the credentials, else the task reads
 * as absent; without one the caller's own tenant, or any tenant for an authenticated admin.
 * The rules are repeated here because http/ is a peer of this layer.
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
  let scope: string | undefined;
  if (tenant !== undefined) {
    if (!coversTenant(caller, tenant)) {
      denied?.('credentials bound to another tenant');
      throw notFound;
    }
    scope = tenant;
  } else if (caller.via === 'anonymous' || !caller.scopes.has(SCOPES.admin)) {
    scope = caller.tenant ?? '';
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
