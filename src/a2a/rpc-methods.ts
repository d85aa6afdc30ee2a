import type { z } from 'zod';
import { A2A_PARAMS_SCHEMAS, type A2aMethod } from '../protocol/index.js';
import { A2aError } from './errors.js';
import { parseParams } from './rpc-params.js';
import type { A2aService, RequestContext, StreamItem } from './service.js';

/**
 * A request before its tenant is settled (the URL may name one, the params another), and
 * before anyone asked to know when its client leaves (only calls that wait need to).
 */
export type CallContext = Omit<RequestContext, 'tenant' | 'signal'> & {
  urlTenant?: string;
  clientGone?: () => AbortSignal;
};

/** One JSON-RPC method: whether it answers with an SSE stream, and how it runs. */
export type MethodEntry =
  | { streams: false; run(params: unknown, ctx: CallContext): Promise<unknown> }
  | {
      streams: true;
      run(params: unknown, ctx: CallContext): Promise<AsyncIterable<StreamItem>>;
    };

/**
 * How a method runs: its params validated by `schema` (`call` sees them typed by it), in the
 * request's settled scope, with a client-gone signal when it `waits`.
 */
function validated<S extends z.ZodType, R>(
  schema: S,
  call: (params: z.output<S>, ctx: RequestContext) => Promise<R>,
  waits: boolean,
) {
  return (raw: unknown, ctx: CallContext): Promise<R> => {
    const params = parseParams(schema, raw);
    return call(params, scoped(ctx, params, waits));
  };
}

function unary<S extends z.ZodType>(
  schema: S,
  call: (params: z.output<S>, ctx: RequestContext) => Promise<unknown>,
  waits = false,
): MethodEntry {
  return { streams: false, run: validated(schema, call, waits) };
}

function streaming<S extends z.ZodType>(
  schema: S,
  call: (params: z.output<S>, ctx: RequestContext) => Promise<AsyncIterable<StreamItem>>,
): MethodEntry {
  return { streams: true, run: validated(schema, call, true) };
}

/** The tenant from the URL prefix or from the params' `tenant`; both given must agree. */
function scoped(ctx: CallContext, params: unknown, waits: boolean): RequestContext {
  const { urlTenant, clientGone, ...rest } = ctx;
  const named = (params as { tenant?: unknown }).tenant;
  const fromParams = typeof named === 'string' && named !== '' ? named : undefined;
  if (urlTenant !== undefined && fromParams !== undefined && fromParams !== urlTenant) {
    throw new A2aError('INVALID_PARAMS', `tenant ${fromParams} does not match the URL's tenant`, {
      field: 'tenant',
    });
  }
  const signal = waits ? clientGone?.() : undefined;
  return { ...rest, tenant: urlTenant ?? fromParams ?? '', ...(signal ? { signal } : {}) };
}

/** Every v1.0 method (§9.4), each bound to its params schema and its service operation. */
export function createMethodTable(service: A2aService): Record<A2aMethod, MethodEntry> {
  const s = A2A_PARAMS_SCHEMAS;
  const push = () => service.pushNotificationConfig();
  return {
    // A blocking SendMessage waits for the task: it must know when its client leaves.
    SendMessage: unary(s.SendMessage, service.sendMessage, true),
    SendStreamingMessage: streaming(s.SendStreamingMessage, service.sendStreamingMessage),
    GetTask: unary(s.GetTask, service.getTask),
    ListTasks: unary(s.ListTasks, service.listTasks),
    CancelTask: unary(s.CancelTask, service.cancelTask),
    SubscribeToTask: streaming(s.SubscribeToTask, service.subscribeToTask),
    CreateTaskPushNotificationConfig: unary(s.CreateTaskPushNotificationConfig, push),
    GetTaskPushNotificationConfig: unary(s.GetTaskPushNotificationConfig, push),
    ListTaskPushNotificationConfigs: unary(s.ListTaskPushNotificationConfigs, push),
    DeleteTaskPushNotificationConfig: unary(s.DeleteTaskPushNotificationConfig, push),
    GetExtendedAgentCard: unary(s.GetExtendedAgentCard, () => service.getExtendedAgentCard()),
  };
}
