import type { z } from 'zod';
import { traceHeaders } from '../../observability/index.js';
import {
  type SendMessageRequest,
  type SendMessageResponse,
  SendMessageResponseSchema,
  type StreamResponse,
  StreamResponseSchema,
  type Task,
  TaskSchema,
  v03,
} from '../../protocol/index.js';
import type { ExecutorLog } from '../hosted-executor.js';
import { type RetryPolicy, retrySafe } from './backoff.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { UpstreamEndpoint } from './upstream-card.js';
import { excerpt } from './upstream-card.js';
import type { UpstreamAuth } from './upstream-credentials.js';
import {
  type UpstreamError,
  UpstreamHttpError,
  UpstreamInvalidResponseError,
  UpstreamRpcError,
  UpstreamUnavailableError,
} from './upstream-errors.js';
import type { HttpRequest, UpstreamHttp } from './upstream-http.js';
import { readUpstreamSse, staticEventStream, type UpstreamEventStream } from './upstream-sse.js';

/** The A2A calls a run makes to its upstream, in v1.0 terms whatever the upstream speaks. */
export interface UpstreamCalls {
  /** Not retried: the upstream may have acted on a request whose answer was lost. */
  sendMessage(request: SendMessageRequest, signal?: AbortSignal): Promise<SendMessageResponse>;
  /** Not retried. `onEvent` sees each event as it is read. */
  sendStreamingMessage(
    request: SendMessageRequest,
    signal?: AbortSignal,
    onEvent?: (event: StreamResponse) => void,
  ): Promise<UpstreamEventStream>;
  /** Safe: retried. */
  getTask(id: string, signal?: AbortSignal): Promise<Task>;
  /** Safe: retried. */
  cancelTask(id: string, signal?: AbortSignal): Promise<Task>;
  /** Safe: retried. */
  subscribeToTask(
    id: string,
    signal?: AbortSignal,
    onEvent?: (event: StreamResponse) => void,
  ): Promise<UpstreamEventStream>;
}

export interface UpstreamClientDeps {
  /** Names the upstream in errors: its card URL. */
  upstream: string;
  http: UpstreamHttp;
  auth: () => UpstreamAuth;
  breaker: CircuitBreaker;
  retry: RetryPolicy;
  log: ExecutorLog;
}

const METHODS = {
  '1.0': {
    send: 'SendMessage',
    stream: 'SendStreamingMessage',
    get: 'GetTask',
    cancel: 'CancelTask',
    subscribe: 'SubscribeToTask',
  },
  '0.3': {
    send: 'message/send',
    stream: 'message/stream',
    get: 'tasks/get',
    cancel: 'tasks/cancel',
    subscribe: 'tasks/resubscribe',
  },
} as const;

type Operation = keyof (typeof METHODS)['1.0'];

interface RpcEnvelope {
  result?: unknown;
  error?: { code: number; message: string };
}

let nextId = 0;

/**
 * The upstream's JSON-RPC binding at `endpoint`: v1.0 as is, v0.3 translated both ways
 * (protocol/v03). Every call passes the circuit breaker; safe ones are retried with backoff.
 * Results are validated: garbage fails with `UpstreamInvalidResponseError`.
 */
export function upstreamCalls(deps: UpstreamClientDeps, endpoint: UpstreamEndpoint): UpstreamCalls {
  const { upstream, http, breaker } = deps;
  const methods = METHODS[endpoint.protocol];
  const old = endpoint.protocol === '0.3';
  const scoped = (params: Record<string, unknown>) =>
    !old && endpoint.tenant ? { ...params, tenant: endpoint.tenant } : params;

  const sendParams = (request: SendMessageRequest) =>
    old ? v03.sendMessageToV03(request) : scoped(request as unknown as Record<string, unknown>);

  const safely = <T>(operation: Operation, call: () => Promise<T>, signal?: AbortSignal) =>
    retrySafe(
      () => breaker.guard(call),
      deps.retry,
      signal,
      (error, delayMs) =>
        deps.log.debug('retrying an upstream call', {
          upstream,
          method: methods[operation],
          delayMs,
          error: error.message,
        }),
    );

  /** POSTs one request; a 401 with a credential that can be renewed is tried once more. */
  async function post<T>(
    operation: Operation,
    params: unknown,
    accept: string,
    signal: AbortSignal | undefined,
    send: (request: HttpRequest, id: number) => Promise<T>,
  ): Promise<T> {
    const id = ++nextId;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: methods[operation], params });
    for (let attempt = 0; ; attempt++) {
      const auth = deps.auth();
      const request: HttpRequest = {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept,
          'a2a-version': endpoint.versionHeader,
          ...(await auth.headers(signal)),
          // The run's trace goes on upstream: its spans join the caller's trace.
          ...traceHeaders(),
        },
        body,
      };
      try {
        return await send(request, id);
      } catch (error) {
        if (error instanceof UpstreamHttpError && error.status === 401 && attempt === 0) {
          if (auth.refused()) continue;
        }
        throw error;
      }
    }
  }

  /** The result of a JSON-RPC answer, or the error it carries. */
  function unwrap(operation: Operation, status: number, text: string, id: number): unknown {
    const method = methods[operation];
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      if (status >= 500 || status === 429)
        throw new UpstreamUnavailableError(upstream, `HTTP ${status} to ${method}`);
      if (status >= 400) throw refusal(status, text);
      throw new UpstreamInvalidResponseError(upstream, `${method}: not JSON: ${excerpt(text)}`);
    }
    const envelope = readEnvelope(json, id);
    if (typeof envelope === 'string') {
      if (status >= 500 || status === 429)
        throw new UpstreamUnavailableError(upstream, `HTTP ${status} to ${method}`);
      if (status >= 400) throw refusal(status, text);
      throw new UpstreamInvalidResponseError(upstream, `${method}: ${envelope}`);
    }
    if (envelope.error) {
      const { code, message } = envelope.error;
      if (status >= 500)
        throw new UpstreamUnavailableError(upstream, `HTTP ${status} to ${method}: ${message}`);
      if (status === 401) throw new UpstreamHttpError(upstream, status, message);
      throw new UpstreamRpcError(upstream, method, code, message);
    }
    if (status >= 500 || status === 429)
      throw new UpstreamUnavailableError(upstream, `HTTP ${status} to ${method}`);
    if (status >= 300) throw refusal(status, text);
    return envelope.result;
  }

  function refusal(status: number, text: string): UpstreamHttpError {
    const what =
      status === 401
        ? 'it refused the credentials'
        : status === 403
          ? 'access denied'
          : excerpt(text);
    return new UpstreamHttpError(upstream, status, what);
  }

  /** One result as v1.0, validated; the v0.3 shape is checked before it is translated. */
  function decode<T>(
    operation: Operation,
    result: unknown,
    v1: z.ZodType<T>,
    fromV03: (result: unknown) => unknown,
  ): T {
    const method = methods[operation];
    let value = result;
    if (old) {
      const parsed = v03.V03StreamEventSchema.safeParse(result);
      if (!parsed.success) throw invalid(method, 'v0.3 result', parsed.error.issues);
      value = fromV03(parsed.data);
    }
    const parsed = v1.safeParse(value);
    if (!parsed.success) throw invalid(method, 'result', parsed.error.issues);
    return parsed.data;
  }

  function invalid(
    method: string,
    what: string,
    issues: readonly { path: readonly PropertyKey[]; message: string }[],
  ): UpstreamInvalidResponseError {
    return UpstreamInvalidResponseError.fromIssues(upstream, `${method}: invalid ${what}`, issues);
  }

  const asTask = (operation: Operation, result: unknown) =>
    decode(operation, result, TaskSchema, (r) => v03.taskFromV03(r as v03.V03Task));
  const asEvent = (operation: Operation, result: unknown) =>
    decode(operation, result, StreamResponseSchema, (r) =>
      v03.streamEventFromV03(r as v03.V03StreamEvent),
    );

  async function unary<T>(
    operation: Operation,
    params: unknown,
    signal: AbortSignal | undefined,
    read: (result: unknown) => T,
  ): Promise<T> {
    return post(operation, params, 'application/json', signal, async (request, id) => {
      const response = await http.fetchText(endpoint.url, request, signal);
      return read(unwrap(operation, response.status, response.text, id));
    });
  }

  async function stream(
    operation: 'stream' | 'subscribe',
    params: unknown,
    signal: AbortSignal | undefined,
    onEvent: ((event: StreamResponse) => void) | undefined,
  ): Promise<UpstreamEventStream> {
    const method = methods[operation];
    return post(operation, params, 'text/event-stream', signal, async (request, id) => {
      const response = await http.fetchStream(endpoint.url, request, signal);
      if (response.status === 200 && response.contentType.startsWith('text/event-stream')) {
        return readUpstreamSse(response.body, {
          upstream,
          idleMs: http.timeoutMs,
          decode: (data, isErrorEvent) => {
            const result = unwrap(operation, 200, data, id);
            if (isErrorEvent)
              throw new UpstreamInvalidResponseError(upstream, `${method}: an error event`);
            return asEvent(operation, result);
          },
          ...(onEvent ? { onEvent } : {}),
          onFailure: (error: UpstreamError) => {
            // The call itself succeeded; what breaks later still tells about the upstream.
            if (error.breakerOutcome === 'failure') breaker.recordFailure();
          },
        });
      }
      // A JSON answer where a stream was asked for: an error, or a server that does not stream.
      const text = await response.text();
      const event = asEvent(operation, unwrap(operation, response.status, text, id));
      onEvent?.(event);
      return staticEventStream([event]);
    });
  }

  return {
    sendMessage: (request, signal) =>
      breaker.guard(() =>
        unary('send', sendParams(request), signal, (result) =>
          decode('send', result, SendMessageResponseSchema, (r) =>
            v03.streamEventFromV03(r as v03.V03StreamEvent),
          ),
        ),
      ),
    sendStreamingMessage: (request, signal, onEvent) =>
      breaker.guard(() => stream('stream', sendParams(request), signal, onEvent)),
    getTask: (id, signal) =>
      safely(
        'get',
        () => unary('get', scoped({ id, historyLength: 0 }), signal, (r) => asTask('get', r)),
        signal,
      ),
    cancelTask: (id, signal) =>
      safely(
        'cancel',
        () => unary('cancel', scoped({ id }), signal, (r) => asTask('cancel', r)),
        signal,
      ),
    subscribeToTask: (id, signal, onEvent) =>
      safely('subscribe', () => stream('subscribe', scoped({ id }), signal, onEvent), signal),
  };
}

/** A JSON-RPC 2.0 response to request `id`, or what is wrong with it. */
function readEnvelope(json: unknown, id: number): RpcEnvelope | string {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return 'not a JSON-RPC response (not an object)';
  const envelope = json as Record<string, unknown>;
  if (envelope.jsonrpc !== '2.0') return 'not a JSON-RPC 2.0 response (no "jsonrpc": "2.0")';
  const hasResult = 'result' in envelope;
  const hasError = 'error' in envelope;
  if (hasResult === hasError) return 'a JSON-RPC response needs exactly one of result and error';
  if (hasError) {
    const error = envelope.error as Record<string, unknown> | null;
    if (
      typeof error !== 'object' ||
      error === null ||
      typeof error.code !== 'number' ||
      typeof error.message !== 'string'
    )
      return 'its JSON-RPC error has no numeric code and message';
    // An error about the request itself (a parse error) may come without our id.
    return { error: { code: error.code, message: error.message } };
  }
  if (envelope.id !== id) return `it answers request ${JSON.stringify(envelope.id)}, not ${id}`;
  return { result: envelope.result };
}
