import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { StreamResponse } from '../../protocol/index.js';
import { UpstreamError, UpstreamUnavailableError } from './upstream-errors.js';
import { describeNetworkError } from './upstream-http.js';

/** What reading an upstream stream gives next. */
export type StreamItem =
  | { kind: 'event'; event: StreamResponse }
  /** The upstream closed the stream. */
  | { kind: 'end' }
  /** The connection broke or went quiet for longer than the idle limit. */
  | { kind: 'dropped'; error: UpstreamError }
  /** Garbage, or a JSON-RPC error event: the stream is over. */
  | { kind: 'error'; error: UpstreamError };

/** Events of one upstream SSE stream, read ahead into a queue as they arrive. */
export interface UpstreamEventStream {
  /** The next item; after `end`, `dropped` or `error`, that item again. */
  next(): Promise<StreamItem>;
  /** Items already read and not yet taken: more is there without waiting. */
  readonly buffered: number;
  close(): void;
}

export interface SseOptions {
  upstream: string;
  /** The longest silence (no event, no heartbeat comment) before the stream counts as dropped. */
  idleMs: number;
  /** One SSE `data` as a stream event; throws an UpstreamError for garbage or an error. */
  decode(data: string, isErrorEvent: boolean): StreamResponse;
  /** Called as each event is read, whether or not anyone takes it yet. */
  onEvent?: (event: StreamResponse) => void;
  /** Called when the stream breaks on the upstream's side (for the circuit breaker). */
  onFailure?: (error: UpstreamError) => void;
}

/**
 * Reads `body` (text/event-stream) as it arrives: a pump feeds eventsource-parser and queues
 * what it decodes, so a reader sees what is already there (`buffered`) and an event is known
 * (`onEvent`) even while nobody waits for it.
 */
export function readUpstreamSse(
  body: ReadableStream<Uint8Array>,
  options: SseOptions,
): UpstreamEventStream {
  const queue: StreamItem[] = [];
  let terminal: StreamItem | undefined;
  let waiter: ((item: StreamItem) => void) | undefined;
  let closed = false;
  const reader = body.getReader();

  const push = (item: StreamItem) => {
    if (terminal) return;
    if (item.kind !== 'event') {
      terminal = item;
      if (item.kind !== 'end') options.onFailure?.(item.error);
    } else {
      options.onEvent?.(item.event);
    }
    if (waiter) {
      const wake = waiter;
      waiter = undefined;
      wake(item);
    } else if (item.kind === 'event') {
      queue.push(item);
    }
  };

  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      try {
        push({ kind: 'event', event: options.decode(message.data, message.event === 'error') });
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        push({ kind: 'error', error });
      }
    },
  });

  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      push({
        kind: 'dropped',
        error: new UpstreamUnavailableError(
          options.upstream,
          `its stream sent nothing (no event, no heartbeat) for ${options.idleMs} ms`,
        ),
      });
      stop();
    }, options.idleMs);
  };
  const stop = () => {
    clearTimeout(idle);
    void reader.cancel().catch(() => {});
  };

  void (async () => {
    const decoder = new TextDecoder();
    armIdle();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        armIdle();
        parser.feed(decoder.decode(value, { stream: true }));
        if (terminal) break;
      }
      parser.feed(decoder.decode());
      push({ kind: 'end' });
    } catch (error) {
      if (!closed)
        push({
          kind: 'dropped',
          error: new UpstreamUnavailableError(
            options.upstream,
            `its stream broke: ${describeNetworkError(error, options.idleMs)}`,
          ),
        });
    } finally {
      stop();
    }
  })();

  return {
    next() {
      const item = queue.shift();
      if (item) return Promise.resolve(item);
      if (terminal) return Promise.resolve(terminal);
      return new Promise((resolve) => {
        waiter = resolve;
      });
    },
    get buffered() {
      return queue.length;
    },
    close() {
      if (closed) return;
      closed = true;
      push({ kind: 'end' });
      stop();
    },
  };
}

/** A stream of what a non-streaming answer gave: those events, then the end. */
export function staticEventStream(events: StreamResponse[]): UpstreamEventStream {
  const queue: StreamItem[] = events.map((event) => ({ kind: 'event', event }));
  return {
    next: async () => queue.shift() ?? { kind: 'end' },
    get buffered() {
      return queue.length;
    },
    close() {
      queue.length = 0;
    },
  };
}
