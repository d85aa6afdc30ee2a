import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';

export interface SseEvent {
  id?: string | number;
  /** One JSON value: serialised on a single `data:` line, as clients parse line by line. */
  data: unknown;
}

export interface SseOptions {
  heartbeatMs: number;
  /** Called once when the stream ends, however it ends: free what feeds it. */
  onClose?: () => void;
  headers?: Record<string, string>;
  /** Ends the stream (cleanly, without an error event) when aborted: server shutdown. */
  shutdown?: AbortSignal;
}

const HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  // Tells nginx-style proxies not to buffer the stream.
  'X-Accel-Buffering': 'no',
};
const HEARTBEAT = ': keep-alive\n\n';

export function frameSse({ id, data }: SseEvent): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/**
 * A `text/event-stream` answer pulled from `events`: nothing is read ahead of what the client
 * takes (backpressure), idle streams get a comment line every `heartbeatMs` so proxies keep
 * them open, and a client that goes away, or a shutdown, ends it and frees the iterator and
 * every listener it added. Written straight to Node's response where there is one; a web
 * `Response` otherwise (`app.request` in tests).
 */
export function sseResponse(
  events: AsyncIterable<SseEvent>,
  outgoing: ServerResponse | undefined,
  options: SseOptions,
): Response {
  if (!outgoing) return webSseResponse(events, options);
  void pipeToNode(events, outgoing, options);
  return RESPONSE_ALREADY_SENT;
}

/** Runs `end` once, whichever of the client, the shutdown or the events ends the stream first. */
function lifecycle(options: SseOptions, end: () => void) {
  let finished = false;
  const onShutdown = () => finish();
  const heartbeatTimers: NodeJS.Timeout[] = [];
  function finish(): boolean {
    if (finished) return false;
    finished = true;
    for (const timer of heartbeatTimers) clearInterval(timer);
    options.shutdown?.removeEventListener('abort', onShutdown);
    end();
    options.onClose?.();
    return true;
  }
  if (options.shutdown?.aborted) queueMicrotask(onShutdown);
  else options.shutdown?.addEventListener('abort', onShutdown, { once: true });
  return {
    finish,
    get finished() {
      return finished;
    },
    heartbeat(write: () => void) {
      const timer = setInterval(write, options.heartbeatMs);
      timer.unref();
      heartbeatTimers.push(timer);
    },
  };
}

async function pipeToNode(
  events: AsyncIterable<SseEvent>,
  outgoing: ServerResponse,
  options: SseOptions,
): Promise<void> {
  const iterator = events[Symbol.asyncIterator]();
  const onClientGone = () => stream.finish();
  const stream = lifecycle(options, () => {
    outgoing.off('close', onClientGone);
    if (!outgoing.writableEnded) outgoing.end();
    void iterator.return?.(undefined);
  });
  outgoing.once('close', onClientGone);
  outgoing.writeHead(200, { ...HEADERS, ...options.headers });
  outgoing.flushHeaders();
  stream.heartbeat(() => outgoing.write(HEARTBEAT));
  try {
    for (;;) {
      const next = await iterator.next();
      if (stream.finished || next.done) break;
      if (!outgoing.write(frameSse(next.value))) await drained(outgoing);
    }
  } catch {
    // The producer turns its errors into a last event; a throw here means the client is gone.
  } finally {
    stream.finish();
  }
}

/** Resolves when the client has taken what was written, or has gone. */
function drained(outgoing: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      outgoing.off('drain', done);
      outgoing.off('close', done);
      resolve();
    };
    outgoing.once('drain', done);
    outgoing.once('close', done);
  });
}

function webSseResponse(events: AsyncIterable<SseEvent>, options: SseOptions): Response {
  const encoder = new TextEncoder();
  const iterator = events[Symbol.asyncIterator]();
  let close: (() => void) | undefined;
  const stream = lifecycle(options, () => {
    close?.();
    void iterator.return?.(undefined);
  });
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      close = () => {
        try {
          controller.close();
        } catch {
          // Already closed or cancelled by the client.
        }
      };
      stream.heartbeat(() => {
        try {
          controller.enqueue(encoder.encode(HEARTBEAT));
        } catch {
          stream.finish();
        }
      });
    },
    async pull(controller) {
      const next = await iterator.next();
      if (stream.finished) return;
      if (next.done) {
        stream.finish();
        return;
      }
      controller.enqueue(encoder.encode(frameSse(next.value)));
    },
    cancel() {
      close = undefined;
      stream.finish();
    },
  });
  return new Response(body, { status: 200, headers: { ...HEADERS, ...options.headers } });
}
