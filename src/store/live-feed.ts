import type { StoredEvent } from '../events/index.js';
import type { StableReader } from './stable-reader.js';

export type FeedListener = (events: readonly StoredEvent[]) => void;

export interface Attachment {
  /** The listener receives every stable event after this position, and none at or below it. */
  position: number;
  detach(): void;
}

/**
 * One tail of the store per process, fanned out to every live subscriber, so a thousand open
 * SSE streams cost one query per wake instead of a thousand.
 */
export interface LiveFeed {
  attach(listener: FeedListener): Promise<Attachment>;
  /**
   * Attaches at once when the feed still holds every event after `after` in its window of
   * recent events: returns those (the caller's catch-up, no store read) and the attachment.
   * Undefined when `after` is older than the window or the feed is idle.
   */
  attachAfter(
    after: number,
    listener: FeedListener,
  ): { backlog: StoredEvent[]; attachment: Attachment } | undefined;
  /** The position the feed has read to, when it is following the store. */
  readonly position: number | undefined;
  /** Something was appended (here or, through NOTIFY, elsewhere) up to `position`. */
  wake(position?: number): void;
  readonly listenerCount: number;
  close(): void;
}

export interface LiveFeedOptions {
  batchSize?: number;
  onError?: (error: unknown) => void;
  /** Longest pause before looking again at events held back behind an open transaction. */
  maxRetryMs?: number;
  /**
   * Recent events kept in memory so that a subscriber starting near the head (a blocking
   * SendMessage, an SSE stream) catches up without reading the store.
   */
  windowSize?: number;
}

export function createLiveFeed(reader: StableReader, options: LiveFeedOptions = {}): LiveFeed {
  const batchSize = options.batchSize ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 10;
  const windowSize = options.windowSize ?? 10_000;
  const listeners = new Set<FeedListener>();
  // undefined while nobody listens: an idle feed does not follow the store.
  let position: number | undefined;
  // Every stable event after `windowStart` up to `position`, oldest first.
  let window: StoredEvent[] = [];
  let windowStart: number | undefined;
  let starting: Promise<number> | undefined;
  let reading = false;
  let again = false;
  let highestWoken = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = 1;
  let closed = false;

  async function start(): Promise<number> {
    try {
      const head = await reader.stableHead();
      if (position === undefined) {
        position = head;
        windowStart = head;
        window = [];
      }
      return position;
    } finally {
      starting = undefined;
    }
  }

  async function pump(): Promise<void> {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    const before = position;
    try {
      do {
        again = false;
        await readToHead();
      } while (again && !closed);
    } catch (error) {
      options.onError?.(error);
      scheduleRetry();
    } finally {
      reading = false;
    }
    // An append we were told about is not readable yet: a transaction that began before it is
    // still open. Its own wake comes if it appends; if it only writes elsewhere (a projection,
    // a checkpoint) nothing announces its end, so look again soon: at once after progress,
    // backing off while stuck.
    if (position !== before) retryMs = 1;
    if (position !== undefined && highestWoken > position) scheduleRetry();
    else retryMs = 1;
  }

  async function readToHead(): Promise<void> {
    for (;;) {
      if (closed || position === undefined) return;
      if (listeners.size === 0) {
        goIdle();
        return;
      }
      const events = await reader.readStable(position, batchSize);
      if (events.length === 0 || closed || position === undefined) return;
      position = events[events.length - 1]!.globalPosition;
      remember(events);
      for (const listener of [...listeners]) listener(events);
      if (events.length < batchSize) return;
    }
  }

  function remember(events: StoredEvent[]): void {
    window.push(...events);
    if (window.length > windowSize * 1.5) {
      const dropped = window.length - windowSize;
      windowStart = window[dropped - 1]!.globalPosition;
      window = window.slice(dropped);
    }
  }

  function goIdle(): void {
    position = undefined;
    windowStart = undefined;
    window = [];
  }

  function scheduleRetry(): void {
    if (retryTimer || closed || listeners.size === 0) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void pump();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, maxRetryMs);
  }

  function detach(listener: FeedListener): void {
    listeners.delete(listener);
    if (listeners.size === 0 && !reading) goIdle();
  }

  return {
    async attach(listener) {
      if (closed) throw new Error('the live feed is closed');
      listeners.add(listener);
      let at: number;
      try {
        if (position === undefined) starting ??= start();
        at = position ?? (await starting!);
      } catch (error) {
        listeners.delete(listener);
        throw error;
      }
      // The listener was added before `at` was read, so every event after `at` reaches it.
      // Pump now: while the feed idled, events may have been stored that no wake announces.
      void pump();
      return {
        position: at,
        detach: () => detach(listener),
      };
    },

    attachAfter(after, listener) {
      if (closed || position === undefined || windowStart === undefined || after < windowStart) {
        return undefined;
      }
      listeners.add(listener);
      const from = firstAfter(window, after);
      return {
        backlog: window.slice(from),
        attachment: { position, detach: () => detach(listener) },
      };
    },

    get position() {
      return position;
    },

    wake(woken) {
      if (woken !== undefined && woken > highestWoken) highestWoken = woken;
      if (closed || position === undefined || listeners.size === 0) return;
      void pump();
    },

    get listenerCount() {
      return listeners.size;
    },

    close() {
      closed = true;
      listeners.clear();
      if (retryTimer) clearTimeout(retryTimer);
    },
  };
}

/** Index of the first event after `after` (the window is in position order). */
function firstAfter(events: readonly StoredEvent[], after: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (events[middle]!.globalPosition <= after) low = middle + 1;
    else high = middle;
  }
  return low;
}
