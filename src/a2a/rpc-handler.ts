import type { Context } from 'hono';
import { ANONYMOUS } from '../auth/index.js';
import { A2A_ERROR_CODES } from './errors.js';
import type { HostedAgent } from './hosted-agents.js';
import type { JsonRpcBinding, RpcReply } from './jsonrpc.js';
import { requestHeader } from './request-header.js';
import type { CallContext } from './rpc-methods.js';
import { type RpcEnv, rpcJson } from './rpc-transport.js';
import { sseResponse } from './sse.js';

export interface JsonRpcHandlerOptions {
  binding: JsonRpcBinding;
  heartbeatMs: number;
  /** Aborted at shutdown: open streams end so clients resume elsewhere. */
  shutdown?: AbortSignal;
  /** Base URL the cards advertise, given the request's Host (for GetExtendedAgentCard). */
  publicUrl?: (requestHost: string | undefined) => string;
}

/**
 * The JSON-RPC endpoint of one hosted agent, behind the transport middleware
 * (rpc-transport.ts): calls the binding with who asks and answers JSON or an SSE stream.
 */
export function createJsonRpcHandler(options: JsonRpcHandlerOptions) {
  const { publicUrl } = options;
  return async function jsonRpc(
    c: Context<RpcEnv>,
    agent: HostedAgent,
    urlTenant: string | undefined,
  ): Promise<Response> {
    const correlationId = c.get('requestId');
    const idempotencyKey = c.get('idempotencyKey');
    const lastEventId = Number.parseInt(requestHeader(c, 'last-event-id') ?? '', 10);
    const left = clientGone(c);
    const ctx: CallContext = {
      agent,
      ...(urlTenant !== undefined ? { urlTenant } : {}),
      caller: c.get('caller') ?? ANONYMOUS,
      ...(c.get('deny') ? { denied: c.get('deny') } : {}),
      correlationId,
      clientGone: () => left.signal,
      ...(publicUrl ? { cardBaseUrl: () => publicUrl(requestHeader(c, 'host')) } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? { lastEventId } : {}),
    };
    let reply: RpcReply;
    try {
      reply = await options.binding.handle(c.get('rpcBody'), ctx, c.get('a2aVersion'));
    } catch (error) {
      left.stopWatching();
      throw error;
    }
    if (reply.type === 'json') {
      left.stopWatching();
      return reply.body === undefined
        ? new Response(null, { status: 204, headers: { 'x-correlation-id': correlationId } })
        : (permissionDenied(c, reply.body) ?? rpcJson(c, reply.body));
    }
    return sseResponse(withErrors(reply), c.env?.outgoing, {
      heartbeatMs: options.heartbeatMs,
      headers: { 'X-Correlation-Id': correlationId },
      ...(options.shutdown ? { shutdown: options.shutdown } : {}),
      onClose: () => {
        left.stopWatching();
        left.abort();
      },
    });
  };
}

/**
 * A single call refused for a missing scope is HTTP 403 with a challenge naming the scope
 * (RFC 6750 §3.1); in a batch each call answers for itself and the batch is 200.
 */
function permissionDenied(c: Context<RpcEnv>, body: unknown): Response | undefined {
  const error = (body as { error?: { code?: number; data?: unknown[] } } | undefined)?.error;
  if (Array.isArray(body) || error?.code !== A2A_ERROR_CODES.PERMISSION_DENIED) return undefined;
  const info = error.data?.find(
    (item): item is { metadata: { scope: string } } =>
      typeof (item as { metadata?: { scope?: unknown } }).metadata?.scope === 'string',
  );
  const challenge = info ? c.get('scopeChallenge')?.(info.metadata.scope) : undefined;
  return rpcJson(c, body, 403, challenge ? { 'www-authenticate': challenge } : {});
}

const CLIENT_GONE = new Error('the client went away');

/**
 * A signal aborted when the client goes away before its answer is complete, made when first
 * asked for: most calls answer at once and never need one.
 */
function clientGone(c: Context<RpcEnv>) {
  let controller: AbortController | undefined;
  // A reason of our own: an abort without one builds a DOMException (and its stack) each time.
  const abort = () => controller?.abort(CLIENT_GONE);
  const outgoing = c.env?.outgoing;
  return {
    get signal() {
      if (!controller) {
        controller = new AbortController();
        // Kept-alive connections outlive the request: the watch is removed after it.
        if (outgoing) outgoing.once('close', abort);
        else c.req.raw.signal.addEventListener('abort', abort, { once: true });
      }
      return controller.signal;
    },
    abort,
    stopWatching() {
      if (!controller) return;
      if (outgoing) outgoing.off('close', abort);
      else c.req.raw.signal.removeEventListener('abort', abort);
    },
  };
}

/** SSE events of a stream reply; an error after the first event becomes a final error event. */
async function* withErrors(reply: Extract<RpcReply, { type: 'stream' }>) {
  try {
    for await (const item of reply.items) yield { id: item.position, data: reply.encode(item) };
  } catch (error) {
    yield { data: reply.encodeError(error) };
  }
}
