import type { HostedAgent, JsonRpcBinding, JsonRpcError } from '../a2a/index.js';
import type { Principal } from '../auth/index.js';
import type { StreamResponse } from '../protocol/index.js';

type CallContext = Parameters<JsonRpcBinding['handle']>[1];

/** A call the binding refused or failed: the JSON-RPC error an A2A client would have got. */
export class A2aCallError extends Error {
  constructor(readonly error: JsonRpcError) {
    super(error.message);
    this.name = 'A2aCallError';
  }
}

/** Who makes an A2A call from MCP, at which agent's endpoint. */
export interface A2aCall {
  agent: HostedAgent;
  caller: Principal;
  correlationId: string;
  /** Aborted when nobody waits for the answer any more: following the task stops. */
  signal?: AbortSignal;
  /** Told of each refusal after authentication, for the security audit. */
  denied?: (reason: string) => void;
}

/**
 * A2A calls in process, through the JSON-RPC binding itself rather than the service beneath
 * it: the method table checks each method's scope (and the agent's own), validates the
 * params and settles the tenant, so an MCP caller gets exactly what an A2A caller with the
 * same credentials would.
 */
export function createA2aCalls(binding: JsonRpcBinding) {
  function context(call: A2aCall): CallContext {
    const { signal, denied } = call;
    return {
      agent: call.agent,
      caller: call.caller,
      correlationId: call.correlationId,
      ...(signal ? { clientGone: () => signal } : {}),
      ...(denied ? { denied } : {}),
    };
  }

  const request = (method: string, params: unknown) => ({ jsonrpc: '2.0', id: 1, method, params });

  return {
    /** A unary method's result; throws A2aCallError with the method's error. */
    async unary(method: string, params: unknown, call: A2aCall): Promise<unknown> {
      const reply = await binding.handle(request(method, params), context(call), '1.0');
      if (reply.type !== 'json') throw new Error(`${method} answered with a stream`);
      const body = reply.body as { result?: unknown; error?: JsonRpcError };
      if (body.error) throw new A2aCallError(body.error);
      return body.result;
    },

    /**
     * A streaming method's responses. A refusal throws at once; an error while streaming
     * throws from the iteration, both as A2aCallError.
     */
    async stream(
      method: string,
      params: unknown,
      call: A2aCall,
    ): Promise<AsyncIterable<StreamResponse>> {
      const reply = await binding.handle(request(method, params), context(call), '1.0');
      if (reply.type === 'json') {
        const body = reply.body as { error?: JsonRpcError };
        throw new A2aCallError(body.error ?? { code: -32603, message: `${method} did not stream` });
      }
      return (async function* () {
        try {
          for await (const item of reply.items) yield item.response;
        } catch (error) {
          throw new A2aCallError((reply.encodeError(error) as { error: JsonRpcError }).error);
        }
      })();
    },
  };
}

export type A2aCalls = ReturnType<typeof createA2aCalls>;
