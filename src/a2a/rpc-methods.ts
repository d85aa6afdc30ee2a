import type { z } from 'zod';
import { coversTenant, hasScope, type Principal, SCOPES, type Scope } from '../auth/index.js';
import { A2A_PARAMS_SCHEMAS, type A2aMethod } from '../protocol/index.js';
import { A2aError } from './errors.js';
import { parseParams } from './rpc-params.js';
import type { A2aService, RequestContext, StreamItem } from './service.js';

/**
 * A request before its tenant is settled (the URL may name one, the params another), and
 * before anyone asked to know when its client leaves (only calls that wait need to).
 */
export type CallContext = Omit<RequestContext, 'tenant' | 'signal' | 'principal'> & {
  /** Who asks, as authentication proved it. */
  caller: Principal;
  urlTenant?: string;
  clientGone?: () => AbortSignal;
  /** Told of each refusal after authentication (a missing scope, another tenant). */
  denied?: (reason: string) => void;
};

/** One JSON-RPC method: whether it answers with an SSE stream, and how it runs. */
export type MethodEntry =
  | { streams: false; run(params: unknown, ctx: CallContext): Promise<unknown> }
  | {
      streams: true;
      run(params: unknown, ctx: CallContext): Promise<AsyncIterable<StreamItem>>;
    };

/**
 * How a method runs: the caller's scope checked, its params validated by `schema` (`call`
 * sees them typed by it), in the request's settled tenant, with a client-gone signal when it
 * `waits`. A caller asking about another tenant than its credentials' gets `foreign`: the
 * answer a tenant with no such task would give, so nobody learns what another tenant holds.
 */
function validated<S extends z.ZodType, R>(
  scope: Scope | null,
  schema: S,
  call: (params: z.output<S>, ctx: RequestContext) => Promise<R>,
  waits: boolean,
  foreign: (params: z.output<S>) => Promise<R>,
) {
  return (raw: unknown, ctx: CallContext): Promise<R> => {
    assertScopes(ctx, scope);
    const params = parseParams(schema, raw);
    const settled = scoped(ctx, params, waits);
    if (settled) return call(params, settled);
    ctx.denied?.('credentials bound to another tenant');
    return foreign(params);
  };
}

/** `scope` (null: none beyond being authenticated) and whatever the agent's file requires. */
function assertScopes(ctx: CallContext, scope: Scope | null): void {
  for (const needed of [...(scope ? [scope] : []), ...ctx.agent.requiredScopes]) {
    if (!hasScope(ctx.caller, needed)) {
      ctx.denied?.(`missing scope ${needed}`);
      throw new A2aError('PERMISSION_DENIED', `this call needs the scope ${needed}`, {
        metadata: { scope: needed },
      });
    }
  }
}

/** Another tenant's task, or the message that names one, reads as absent. */
async function absentTask(params: unknown): Promise<never> {
  const { id, message } = params as { id?: unknown; message?: { taskId?: unknown } };
  const taskId = typeof id === 'string' ? id : message?.taskId;
  if (typeof taskId === 'string') {
    throw new A2aError('TASK_NOT_FOUND', `task ${taskId} not found`, { metadata: { taskId } });
  }
  // A new task in a tenant the credentials do not cover: no task exists to pretend about.
  throw new A2aError('PERMISSION_DENIED', 'these credentials do not cover that tenant');
}

function unary<S extends z.ZodType>(
  scope: Scope | null,
  schema: S,
  call: (params: z.output<S>, ctx: RequestContext) => Promise<unknown>,
  options: { waits?: boolean; foreign?: (params: z.output<S>) => Promise<unknown> } = {},
): MethodEntry {
  const foreign = options.foreign ?? absentTask;
  return { streams: false, run: validated(scope, schema, call, options.waits ?? false, foreign) };
}

function streaming<S extends z.ZodType>(
  scope: Scope,
  schema: S,
  call: (params: z.output<S>, ctx: RequestContext) => Promise<AsyncIterable<StreamItem>>,
): MethodEntry {
  return { streams: true, run: validated(scope, schema, call, true, absentTask) };
}

/**
 * The tenant from the URL prefix or from the params' `tenant` (both given must agree), else
 * the one the credentials are bound to. Undefined when the credentials are bound to another
 * tenant than the one asked for (the admin scope covers every tenant).
 */
function scoped(ctx: CallContext, params: unknown, waits: boolean): RequestContext | undefined {
  const { urlTenant, clientGone, caller, denied: _, ...rest } = ctx;
  const named = (params as { tenant?: unknown }).tenant;
  const fromParams = typeof named === 'string' && named !== '' ? named : undefined;
  if (urlTenant !== undefined && fromParams !== undefined && fromParams !== urlTenant) {
    throw new A2aError('INVALID_PARAMS', `tenant ${fromParams} does not match the URL's tenant`, {
      field: 'tenant',
    });
  }
  const asked = urlTenant ?? fromParams;
  if (asked !== undefined && !coversTenant(caller, asked)) return undefined;
  const admin = caller.scopes.has(SCOPES.admin);
  const signal = waits ? clientGone?.() : undefined;
  return {
    ...rest,
    principal: caller.name,
    ...(admin ? { admin } : {}),
    tenant: asked ?? caller.tenant ?? '',
    ...(signal ? { signal } : {}),
  };
}

/** Every v1.0 method (§9.4), each bound to its params schema and its service operation. */
export function createMethodTable(service: A2aService): Record<A2aMethod, MethodEntry> {
  const s = A2A_PARAMS_SCHEMAS;
  const { send, read, cancel } = SCOPES;
  // Another tenant's task, named by a push config call (`taskId`; `id` is the config's), reads
  // as absent; with push off, the answer is the same as in the caller's own tenant.
  const absentPushTask = async (params: { taskId?: string | undefined }): Promise<never> => {
    if (!service.pushEnabled) {
      throw new A2aError(
        'PUSH_NOTIFICATION_NOT_SUPPORTED',
        'push notifications are turned off on this gateway',
      );
    }
    const taskId = params.taskId ?? '';
    throw new A2aError('TASK_NOT_FOUND', `task ${taskId} not found`, { metadata: { taskId } });
  };
  // Another tenant's list is an empty one.
  const noTasks = async (params: { pageSize?: number | undefined }) => ({
    tasks: [],
    nextPageToken: '',
    pageSize: params.pageSize ?? 50,
    totalSize: 0,
  });
  return {
    // A blocking SendMessage waits for the task: it must know when its client leaves.
    SendMessage: unary(send, s.SendMessage, service.sendMessage, { waits: true }),
    SendStreamingMessage: streaming(send, s.SendStreamingMessage, service.sendStreamingMessage),
    GetTask: unary(read, s.GetTask, service.getTask),
    ListTasks: unary(read, s.ListTasks, service.listTasks, { foreign: noTasks }),
    CancelTask: unary(cancel, s.CancelTask, service.cancelTask),
    SubscribeToTask: streaming(read, s.SubscribeToTask, service.subscribeToTask),
    // Push configs name their task `taskId` (`id` is the config's).
    CreateTaskPushNotificationConfig: unary(
      send,
      s.CreateTaskPushNotificationConfig,
      service.createTaskPushNotificationConfig,
      { foreign: absentPushTask },
    ),
    GetTaskPushNotificationConfig: unary(
      read,
      s.GetTaskPushNotificationConfig,
      service.getTaskPushNotificationConfig,
      { foreign: absentPushTask },
    ),
    ListTaskPushNotificationConfigs: unary(
      read,
      s.ListTaskPushNotificationConfigs,
      service.listTaskPushNotificationConfigs,
      { foreign: absentPushTask },
    ),
    DeleteTaskPushNotificationConfig: unary(
      send,
      s.DeleteTaskPushNotificationConfig,
      service.deleteTaskPushNotificationConfig,
      { foreign: absentPushTask },
    ),
    // For any authenticated caller (§3.1.11): no scope beyond that.
    GetExtendedAgentCard: unary(null, s.GetExtendedAgentCard, service.getExtendedAgentCard),
  };
}
