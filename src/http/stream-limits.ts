import type { Context, MiddlewareHandler } from 'hono';
import { A2aError, type RpcEnv, rpcError } from '../a2a/index.js';

/** A count of open SSE streams with a ceiling: each stream holds a slot until it ends. */
export interface StreamLimiter {
  readonly max: number;
  readonly open: number;
  /** A slot, and the function that gives it back (once, however often called); none when full. */
  tryAcquire(): (() => void) | undefined;
}

export function createStreamLimiter(max: number): StreamLimiter {
  let open = 0;
  return {
    max,
    get open() {
      return open;
    },
    tryAcquire() {
      if (open >= max) return undefined;
      open += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        open -= 1;
      };
    },
  };
}

/** Seconds a refused client is asked to wait: streams end as tasks do, slots free up soon. */
const RETRY_AFTER_S = '5';

/** JSON-RPC methods answered with an SSE stream (v1.0 and 0.3); they cannot be batched. */
const STREAMING_METHODS = new Set([
  'SendStreamingMessage',
  'SubscribeToTask',
  'message/stream',
  'tasks/resubscribe',
]);

/**
 * After the body is read (rpc-transport.ts), before the call: a streaming call takes a slot
 * or is refused, with HTTP 503, Retry-After and a JSON-RPC error, before any task is created.
 */
export function limitRpcStreams(limiter: StreamLimiter): MiddlewareHandler<RpcEnv> {
  return async function limitRpcStreams(c, next) {
    const body = c.get('rpcBody') as { method?: unknown; id?: unknown } | null;
    const method = typeof body === 'object' && body !== null ? body.method : undefined;
    if (typeof method !== 'string' || !STREAMING_METHODS.has(method)) return next();
    const release = limiter.tryAcquire();
    if (!release) {
      const id = typeof body?.id === 'string' || typeof body?.id === 'number' ? body.id : null;
      return rpcError(c, new A2aError('SERVER_BUSY', busyMessage(limiter)), id, 503, {
        'retry-after': RETRY_AFTER_S,
      });
    }
    await holdUntilAnswered(c, release, next);
  };
}

/** The same for a plain HTTP route whose answer is a stream when `streams(c)` says so. */
export function limitStreams(
  limiter: StreamLimiter,
  streams: (c: Context<RpcEnv>) => boolean,
): MiddlewareHandler<RpcEnv> {
  return async function limitStreams(c, next) {
    if (!streams(c)) return next();
    const release = limiter.tryAcquire();
    if (!release)
      return c.json({ error: 'server_busy', message: busyMessage(limiter) }, 503, {
        'Retry-After': RETRY_AFTER_S,
      });
    await holdUntilAnswered(c, release, next);
  };
}

/**
 * Keeps the slot until the answer is over: Node's response closes when the stream ends, the
 * client goes or the answer was plain JSON after all (an error). Without Node's response
 * (`app.request` in tests) there is no end to watch: the slot goes back when the handler returns.
 */
async function holdUntilAnswered(
  c: Context<RpcEnv>,
  release: () => void,
  next: () => Promise<void>,
): Promise<void> {
  const outgoing = c.env?.outgoing;
  if (outgoing) outgoing.once('close', release);
  try {
    await next();
  } catch (error) {
    release();
    throw error;
  } finally {
    if (!outgoing) release();
  }
}

function busyMessage(limiter: StreamLimiter): string {
  return `the gateway holds its maximum of ${limiter.max} SSE streams (MAX_SSE_STREAMS); retry later`;
}
