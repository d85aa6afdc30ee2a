import { z } from 'zod';
import type { Logger } from '../observability/index.js';
import { A2A_METHODS, A2A_PARAMS_SCHEMAS, type A2aMethod } from '../protocol/index.js';
import { A2aError, type JsonRpcError, toJsonRpcError } from './errors.js';
import { normalizeProtoJsonKeys } from './proto-json.js';
import type { A2aService, RequestContext, StreamItem } from './service.js';
import {
  isV03Method,
  paramsFromV03,
  resultToV03,
  streamResponseToV03,
  V03_METHOD_TO_V1,
} from './v03/translate.js';
import type { ProtocolVersion } from './versions.js';

export type JsonRpcId = string | number | null;

const RequestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  method: z.string().min(1),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
  params: z.unknown().optional(),
});

export type RpcReply =
  /** `body` undefined: only notifications were sent, nothing to answer (JSON-RPC §4.1). */
  | { type: 'json'; body: unknown }
  | {
      type: 'stream';
      items: AsyncIterable<StreamItem>;
      /** The JSON-RPC envelope each SSE `data:` carries. */
      encode(item: StreamItem): unknown;
      encodeError(error: unknown): unknown;
    };

const STREAMING: ReadonlySet<A2aMethod> = new Set(['SendStreamingMessage', 'SubscribeToTask']);

/**
 * The JSON-RPC 2.0 binding (§9): envelopes, method names of either protocol version,
 * params validated by zod (the offending field goes back in `error.data`), results and
 * errors encoded for the version the client speaks. Nothing below knows about versions.
 */
export function createJsonRpcBinding(service: A2aService, logger: Logger) {
  function errorBody(
    id: JsonRpcId,
    error: unknown,
  ): { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcError } {
    const { error: rpcError, internal } = toJsonRpcError(error);
    if (internal) logger.error('internal error serving a JSON-RPC request', { error });
    return { jsonrpc: '2.0', id, error: rpcError };
  }

  /** Method and params of one request, in v1.0 terms, validated. */
  function resolve(
    method: string,
    rawParams: unknown,
    version: ProtocolVersion,
  ): { method: A2aMethod; params: unknown } {
    let v1Method: A2aMethod;
    let params: unknown = rawParams ?? {};
    if (version === '0.3') {
      if (!isV03Method(method))
        throw new A2aError('METHOD_NOT_FOUND', `method ${method} not found (A2A 0.3)`);
      v1Method = V03_METHOD_TO_V1[method];
      const translated = paramsFromV03(v1Method, params);
      if (!translated.ok) {
        const issue = translated.issues[0]!;
        throw new A2aError(
          'INVALID_PARAMS',
          `invalid params: ${issue.path || 'params'}: ${issue.message}`,
          {
            field: issue.path,
          },
        );
      }
      params = translated.params;
    } else {
      if (!(A2A_METHODS as readonly string[]).includes(method)) {
        throw new A2aError('METHOD_NOT_FOUND', `method ${method} not found`);
      }
      v1Method = method as A2aMethod;
    }
    const schema = A2A_PARAMS_SCHEMAS[v1Method] as z.ZodType;
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new A2aError('INVALID_PARAMS', 'params must be an object', { field: 'params' });
    }
    const parsed = schema.safeParse(normalizeProtoJsonKeys(params, schema));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path
        .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
        .join('');
      const name = field.replace(/^\./, '').replace(/\.\[/g, '[') || 'params';
      throw new A2aError('INVALID_PARAMS', `invalid params: ${name}: ${issue.message}`, {
        field: name,
      });
    }
    return { method: v1Method, params: parsed.data };
  }

  async function call(method: A2aMethod, params: never, ctx: RequestContext): Promise<unknown> {
    switch (method) {
      case 'SendMessage':
        return service.sendMessage(params, ctx);
      case 'SendStreamingMessage':
        return service.sendStreamingMessage(params, ctx);
      case 'GetTask':
        return service.getTask(params, ctx);
      case 'ListTasks':
        return service.listTasks(params, ctx);
      case 'CancelTask':
        return service.cancelTask(params, ctx);
      case 'SubscribeToTask':
        return service.subscribeToTask(params, ctx);
      case 'CreateTaskPushNotificationConfig':
      case 'GetTaskPushNotificationConfig':
      case 'ListTaskPushNotificationConfigs':
      case 'DeleteTaskPushNotificationConfig':
        return service.pushNotificationConfig();
      case 'GetExtendedAgentCard':
        return service.getExtendedAgentCard();
      default: {
        const unknown: never = method;
        throw new A2aError('METHOD_NOT_FOUND', `method ${String(unknown)} not found`);
      }
    }
  }

  /** Tenant from the URL prefix, or from the params; both given must agree. */
  function withTenant(
    ctx: RequestContext,
    params: unknown,
    urlTenant: string | undefined,
  ): RequestContext {
    const fromParams = (params as { tenant?: string }).tenant;
    if (urlTenant !== undefined && fromParams && fromParams !== urlTenant) {
      throw new A2aError('INVALID_PARAMS', `tenant ${fromParams} does not match the URL's tenant`, {
        field: 'tenant',
      });
    }
    return { ...ctx, tenant: urlTenant ?? fromParams ?? '' };
  }

  async function single(
    raw: unknown,
    ctx: RequestContext,
    version: ProtocolVersion,
    urlTenant: string | undefined,
    inBatch: boolean,
  ): Promise<RpcReply> {
    const envelope = RequestSchema.safeParse(raw);
    if (!envelope.success) {
      const id = isObject(raw) && isId(raw.id) ? raw.id : null;
      return {
        type: 'json',
        body: errorBody(id, new A2aError('INVALID_REQUEST', 'not a valid JSON-RPC 2.0 request')),
      };
    }
    const { method, params, id } = envelope.data;
    const notification = id === undefined;
    const replyId = id ?? null;
    try {
      const resolved = resolve(method, params, version);
      if (inBatch && STREAMING.has(resolved.method)) {
        throw new A2aError(
          'INVALID_REQUEST',
          `${method} streams its answer and cannot be part of a batch`,
        );
      }
      const scoped = withTenant(ctx, resolved.params, urlTenant);
      const result = await call(resolved.method, resolved.params as never, scoped);
      if (STREAMING.has(resolved.method)) {
        return {
          type: 'stream',
          items: result as AsyncIterable<StreamItem>,
          encode: (item) => ({
            jsonrpc: '2.0',
            id: replyId,
            result: version === '0.3' ? streamResponseToV03(item.response) : item.response,
          }),
          encodeError: (error) => errorBody(replyId, error),
        };
      }
      if (notification) return { type: 'json', body: undefined };
      const encoded = version === '0.3' ? resultToV03(resolved.method as never, result) : result;
      return { type: 'json', body: { jsonrpc: '2.0', id: replyId, result: encoded } };
    } catch (error) {
      return { type: 'json', body: notification ? undefined : errorBody(replyId, error) };
    }
  }

  return {
    /**
     * Answers one parsed JSON body: a request, or a batch (an array) answered element by
     * element; streaming methods cannot be batched.
     */
    async handle(
      body: unknown,
      ctx: RequestContext,
      version: ProtocolVersion,
      urlTenant: string | undefined,
    ): Promise<RpcReply> {
      if (!Array.isArray(body)) return single(body, ctx, version, urlTenant, false);
      if (body.length === 0) {
        return {
          type: 'json',
          body: errorBody(null, new A2aError('INVALID_REQUEST', 'an empty batch')),
        };
      }
      const replies = await Promise.all(
        body.map((item) => single(item, ctx, version, urlTenant, true)),
      );
      const bodies = replies.flatMap((reply) =>
        reply.type === 'json' && reply.body !== undefined ? [reply.body] : [],
      );
      return { type: 'json', body: bodies.length > 0 ? bodies : undefined };
    },

    errorBody,
  };
}

export type JsonRpcBinding = ReturnType<typeof createJsonRpcBinding>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is JsonRpcId {
  return typeof value === 'string' || typeof value === 'number' || value === null;
}
