const encoder = new TextEncoder();

export interface SseEvent {
  id?: string | number;
  /** One JSON value: serialised on a single `data:` line, as clients parse line by line. */
  data: unknown;
}

/**
 * A `text/event-stream` response pulled from `events`: nothing is buffered ahead of the
 * client (backpressure), idle streams get a comment line every `heartbeatMs` so proxies keep
 * them open, and a client that goes away cancels the iterator, which frees its subscription.
 */
export function sseResponse(
  events: AsyncIterable<SseEvent>,
  options: {
    heartbeatMs: number;
    onClose?: () => void;
    headers?: Record<string, string>;
    /** Ends the stream (cleanly, without an error event) when aborted: server shutdown. */
    shutdown?: AbortSignal;
  },
): Response {
  const iterator = events[Symbol.asyncIterator]();
  let heartbeat: NodeJS.Timeout | undefined;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearInterval(heartbeat);
    options.onClose?.();
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      options.shutdown?.addEventListener(
        'abort',
        () => {
          if (finished) return;
          finish();
          void iterator.return?.(undefined);
          controller.close();
        },
        { once: true },
      );
      heartbeat = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(': keep-alive\n\n'));
        } catch {
          finish();
        }
      }, options.heartbeatMs);
      heartbeat.unref();
    },
    async pull(controller) {
      const next = await iterator.next();
      if (finished) return;
      if (next.done) {
        finish();
        controller.close();
        return;
      }
      const { id, data } = next.value;
      controller.enqueue(
        encoder.encode(`${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`),
      );
    },
    async cancel() {
      finish();
      await iterator.return?.(undefined);
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Tells nginx-style proxies not to buffer the stream.
      'X-Accel-Buffering': 'no',
      ...options.headers,
    },
  });
}
