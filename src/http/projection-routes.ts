import type { Hono, MiddlewareHandler } from 'hono';
import { type RpcEnv, type SseEvent, sseResponse } from '../a2a/index.js';
import { SCOPES } from '../auth/index.js';
import {
  RebuildAbortedError,
  type RebuildProgress,
  type RebuildResult,
  RebuildRunningError,
} from '../tasks/index.js';
import { anyone, requireScope } from './authenticate.js';

export interface ProjectionAdmin {
  /** Rebuilds the task view from the first event beside the live one, then swaps them. */
  rebuildTaskView(options: {
    signal: AbortSignal;
    onProgress: (progress: RebuildProgress) => void;
  }): Promise<RebuildResult>;
}

/**
 * `POST /admin/projections/task-view/rebuild` (admin scope). With `Accept: text/event-stream`
 * the answer is a stream of `{ type: 'progress', … }` events, then one `{ type: 'done', … }`
 * or `{ type: 'error', message }`; otherwise one JSON answer when it is done. A client that
 * goes away interrupts the rebuild: the live view keeps serving, the partial table is dropped.
 * One rebuild at a time: another gets 409.
 */
export function mountProjectionRoutes(
  app: Hono<RpcEnv>,
  options: {
    projections: ProjectionAdmin;
    heartbeatMs: number;
    shutdown?: AbortSignal;
    authenticate?: MiddlewareHandler<RpcEnv>;
  },
): void {
  const guard = options.authenticate ?? anyone;
  let busy = false;
  app.post('/admin/projections/task-view/rebuild', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    if (busy) return c.json({ error: 'conflict', message: new RebuildRunningError().message }, 409);
    busy = true;
    const abort = new AbortController();
    const updates = channel<SseEvent>();
    const rebuild = options.projections
      .rebuildTaskView({
        signal: abort.signal,
        onProgress: (progress) => updates.push({ data: { type: 'progress', ...progress } }),
      })
      .finally(() => {
        busy = false;
      });
    if ((c.req.header('accept') ?? '').includes('text/event-stream')) {
      rebuild.then(
        (result) => updates.end({ data: { type: 'done', ...result } }),
        (error: unknown) => updates.end({ data: { type: 'error', message: messageOf(error) } }),
      );
      return sseResponse(updates.events(), c.env?.outgoing, {
        heartbeatMs: options.heartbeatMs,
        onClose: () => abort.abort(),
        ...(options.shutdown ? { shutdown: options.shutdown } : {}),
      });
    }
    const gone = () => abort.abort();
    c.req.raw.signal.addEventListener('abort', gone, { once: true });
    try {
      return c.json({ type: 'done', ...(await rebuild) });
    } catch (error) {
      const interrupted = error instanceof RebuildAbortedError;
      return c.json(
        { error: interrupted ? 'interrupted' : 'rebuild_failed', message: messageOf(error) },
        interrupted ? 409 : 500,
      );
    } finally {
      c.req.raw.signal.removeEventListener('abort', gone);
    }
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Items pushed by one side, pulled as an async iterable by the other, ended once. */
function channel<T>() {
  const queue: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(item: T) {
      if (ended) return;
      queue.push(item);
      poke();
    },
    end(last: T) {
      if (ended) return;
      queue.push(last);
      ended = true;
      poke();
    },
    async *events(): AsyncGenerator<T> {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
  };
}
