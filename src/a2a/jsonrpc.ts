import { z } from 'zod';
import type { Logger } from '../observability/index.js';
import { type A2aMethod, v03 } from '../protocol/index.js';
import { A2aError, type JsonRpcError, toJsonRpcError } from './errors.js';
import { type CallContext, createMethodTable, type MethodEntry } from './rpc-methods.js';
import type { A2aService, StreamItem } from './service.js';
import type { ProtocolVersion } from './versions.js';

const { isV03Method, paramsFromV03, resultToV03, streamResponseToV03, V03_METHOD_TO_V1 } = v03;

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

export interface JsonRpcBindingOptions {
  logger: Logger;
  /** Requests one batch may hold; a longer batch is refused as a whole. */
  maxBatch?: number;
}

/**
 * The JSON-RPC 2.0 binding (§9): envelopes, method names of either protocol version, params
 * validated through the method table (the offending field goes back in `error.data`), results
 * and errors encoded for the version the client speaks. Nothing below knows about versions.
 */
export function createJsonRpcBinding(service: A2aService, options: JsonRpcBindingOptions) {
  const methods = createMethodTable(service);
  const maxBatch = options.maxBatch ?? 100;

  function errorBody(
    id: JsonRpcId,
    error: unknown,
  ): { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcError } {
    const { error: rpcError, internal } = toJsonRpcError(error);
    if (internal) options.logger.error('internal error serving a JSON-RPC request', { error });
    return { jsonrpc: '2.0', id, error: rpcError };
  }

  const isMethod = (method: string): method is A2aMethod => Object.hasOwn(methods, method);

  /**
   * The entry of the v1.0 method a request names, its params in v1.0 form (not validated
   * yet), and how its result goes back in the client's version.
   */
  function resolve(
    method: string,
    raw: unknown,
    version: ProtocolVersion,
  ): { entry: MethodEntry; params: unknown; encode: (result: unknown) => unknown } {
    if (version === '0.3') {
      if (!isV03Method(method))
        throw new A2aError('METHOD_NOT_FOUND', `method ${method} not found (A2A 0.3)`);
      const name = V03_METHOD_TO_V1[method];
      const translated = paramsFromV03(name, raw ?? {});
      if (!translated.ok) {
        const issue = translated.issues[0]!;
        const field = issue.path || 'params';
        throw new A2aError('INVALID_PARAMS', `invalid params: ${field}: ${issue.message}`, {
          field,
        });
      }
      return {
        entry: methods[name],
        params: translated.params,
        encode: (result) => resultToV03(name, result),
      };
    }
    // Own keys only: a method named `toString` must not find Object.prototype's.
    if (!isMethod(method)) throw new A2aError('METHOD_NOT_FOUND', `method ${method} not found`);
    return { entry: methods[method], params: raw ?? {}, encode: (result) => result };
  }

  async function single(
    raw: unknown,
    ctx: CallContext,
    version: ProtocolVersion,
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
      const { entry, params: v1Params, encode } = resolve(method, params, version);
      if (entry.streams) {
        if (inBatch) {
          throw new A2aError(
            'INVALID_REQUEST',
            `${method} streams its answer and cannot be part of a batch`,
          );
        }
        return {
          type: 'stream',
          items: await entry.run(v1Params, ctx),
          encode: (item) => ({
            jsonrpc: '2.0',
            id: replyId,
            result: version === '0.3' ? streamResponseToV03(item.response) : item.response,
          }),
          encodeError: (error) => errorBody(replyId, error),
        };
      }
      const result = await entry.run(v1Params, ctx);
      if (notification) return { type: 'json', body: undefined };
      return { type: 'json', body: { jsonrpc: '2.0', id: replyId, result: encode(result) } };
    } catch (error) {
      return { type: 'json', body: notification ? undefined : errorBody(replyId, error) };
    }
  }

  return {
    /**
     * Answers one parsed JSON body: a request, or a batch (an array) answered element by
     * element; streaming methods cannot be batched.
     */
    async handle(body: unknown, ctx: CallContext, version: ProtocolVersion): Promise<RpcReply> {
      if (!Array.isArray(body)) return single(body, ctx, version, false);
      if (body.length === 0 || body.length > maxBatch) {
        const why = body.length === 0 ? 'an empty batch' : `a batch holds at most ${maxBatch}`;
        return { type: 'json', body: errorBody(null, new A2aError('INVALID_REQUEST', why)) };
      }
      const replies = await Promise.all(body.map((item) => single(item, ctx, version, true)));
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
