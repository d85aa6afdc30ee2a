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
 *
 * Two sources feed it. Appends this process commits arrive from memory (`committed`). In an
 * exclusive store (one writer: memory, or PGlite, whose folder one process holds) commits are
 * serialised, so they arrive in position order and the feed needs nothing else: it never
 * reads. A shared store (PostgreSQL) may commit concurrently and out of order, and other
 * instances write too, so the feed reads the stable prefix of the store (`wake`) for its
 * store-wide listeners; stream listeners get this process's commits from memory at once.
 */
export interface LiveFeed {
  /** A store-wide listener: every stable event after `position`, in global order. */
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
  /**
   * A listener of one stream's events, in no guaranteed order and possibly twice (a commit
   * of this process, then the same event read back): the stream subscription sorts them out.
   */
  attachStream(streamId: string, listener: FeedListener): () => void;
  /**
   * The newest version of `streamId` this feed has seen, when it is sure no newer one has
   * gone by unseen (it has followed the store meanwhile); undefined when it cannot tell. A
   * stream subscriber that starts at this version has nothing to read from the store.
   */
  knownVersion(streamId: string): number | undefined;
  /** The position the feed has read to, when it is following the store. */
  readonly position: number | undefined;
  /** Another process appended up to `position` (NOTIFY), or a lost notification may have. */
  wake(position?: number): void;
  /** This process committed `events` (one append or a group, in position order). */
  committed(events: readonly StoredEvent[]): void;
  readonly listenerCount: number;
  close(): void;
}

export interface LiveFeedOptions {
  /**
   * Every append passes through this process, one commit at a time (see above); `head` is
   * the store's newest position when the feed is made.
   */
  exclusive?: { head: number };
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
  const exclusive = options.exclusive !== undefined;
  const batchSize = options.batchSize ?? 500;
  const maxRetryMs = options.maxRetryMs ?? 10;
  const windowSize = options.windowSize ?? 10_000;
  const listeners = new Set<FeedListener>();
  const streamListeners = new Map<string, Set<FeedListener>>();
  // This process's commits not yet passed in stable order (shared stores): the feed takes
  // their bodies from here instead of decoding them again from the database.
  const ownCommits = new Map<number, StoredEvent>();
  const maxOwnCommits = Math.max(windowSize * 2, 1_000);
  // The newest version of recently written streams, while the feed follows the store.
  const streamVersions = new Map<string, number>();
  const maxStreamVersions = Math.max(windowSize, 1_000);
  let streamListenerCount = 0;
  // undefined while nobody listens: an idle feed does not follow the store. An exclusive feed
  // always knows its position: every commit passes through it.
  let position: number | undefined = options.exclusive?.head;
  // Every stable event after `windowStart` up to `position`, oldest first.
  let window: StoredEvent[] = [];
  let windowStart: number | undefined = position;
  let starting: Promise<number> | undefined;
  let reading = false;
  let again = false;
  let highestWoken = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = 1;
  let closed = false;

  const active = () => listeners.size + streamListenerCount > 0;

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

  /** Hands stable events (in position order, after `position`) to every listener. */
  function deliver(events: readonly StoredEvent[]): void {
    position = events[events.length - 1]!.globalPosition;
    if (!active()) {
      noteVersions(events);
      goIdle();
      return;
    }
    remember(events);
    for (const listener of [...listeners]) listener(events);
    toStreams(events);
  }

  function noteVersions(events: readonly StoredEvent[]): void {
    for (const event of events) {
      if ((streamVersions.get(event.streamId) ?? 0) >= event.streamVersion) continue;
      streamVersions.delete(event.streamId);
      streamVersions.set(event.streamId, event.streamVersion);
      if (streamVersions.size > maxStreamVersions) {
        streamVersions.delete(streamVersions.keys().next().value!);
      }
    }
  }

  function toStreams(events: readonly StoredEvent[]): void {
    noteVersions(events);
    if (streamListenerCount === 0) return;
    for (const event of events) {
      const forStream = streamListeners.get(event.streamId);
      if (forStream) for (const listener of [...forStream]) listener([event]);
    }
  }

  async function pump(): Promise<void> {
    if (exclusive) return;
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
      if (!active()) {
        goIdle();
        return;
      }
      const events = reader.readStableKnowing
        ? await reader.readStableKnowing(position, batchSize, ownCommits)
        : await reader.readStable(position, batchSize);
      if (events.length === 0 || closed || position === undefined) return;
      deliver(events);
      for (const event of events) ownCommits.delete(event.globalPosition);
      if (events.length < batchSize) return;
    }
  }

  function remember(events: readonly StoredEvent[]): void {
    window.push(...events);
    if (window.length > windowSize * 1.5) {
      const dropped = window.length - windowSize;
      windowStart = window[dropped - 1]!.globalPosition;
      window = window.slice(dropped);
    }
  }

  function goIdle(): void {
    if (!exclusive) {
      position = undefined;
      // Idle, a shared feed no longer sees what others write: what it knew may go stale.
      streamVersions.clear();
      ownCommits.clear();
    }
    windowStart = position;
    window = [];
  }

  function scheduleRetry(): void {
    if (retryTimer || closed || !active()) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void pump();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, maxRetryMs);
  }

  function idleIfUnused(): void {
    if (!active() && !reading) goIdle();
  }

  /** Starts following the store if idle; resolves with the position it follows from. */
  async function follow(): Promise<number> {
    if (position === undefined) starting ??= start();
    return position ?? (await starting!);
  }

  return {
    async attach(listener) {
      if (closed) throw new Error('the live feed is closed');
      listeners.add(listener);
      let at: number;
      try {
        at = await follow();
      } catch (error) {
        listeners.delete(listener);
        throw error;
      }
      // The listener was added before `at` was read, so every event after `at` reaches it.
      // Pump now: while the feed idled, events may have been stored that no wake announces.
      void pump();
      return {
        position: at,
        detach: () => {
          listeners.delete(listener);
          idleIfUnused();
        },
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
        attachment: {
          position,
          detach: () => {
            listeners.delete(listener);
            idleIfUnused();
          },
        },
      };
    },

    attachStream(streamId, listener) {
      if (closed) throw new Error('the live feed is closed');
      let forStream = streamListeners.get(streamId);
      if (!forStream) {
        forStream = new Set();
        streamListeners.set(streamId, forStream);
      }
      forStream.add(listener);
      streamListenerCount += 1;
      // Other processes' events reach stream listeners only through the feed's reads.
      if (!exclusive) void follow().then(() => pump(), options.onError);
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        streamListenerCount -= 1;
        forStream.delete(listener);
        if (forStream.size === 0) streamListeners.delete(streamId);
        idleIfUnused();
      };
    },

    knownVersion(streamId) {
      if (position === undefined) return undefined;
      return streamVersions.get(streamId);
    },

    get position() {
      return position;
    },

    wake(woken) {
      if (woken !== undefined && woken > highestWoken) highestWoken = woken;
      if (closed || position === undefined || !active()) return;
      void pump();
    },

    committed(events) {
      if (closed || events.length === 0) return;
      if (!exclusive) {
        // Stable order can wait for the read; a stream's own order is settled by its versions.
        toStreams(events);
        if (position !== undefined) {
          for (const event of events) ownCommits.set(event.globalPosition, event);
          while (ownCommits.size > maxOwnCommits)
            ownCommits.delete(ownCommits.keys().next().value!);
        }
        this.wake(events[events.length - 1]!.globalPosition);
        return;
      }
      deliver(events);
    },

    get listenerCount() {
      return listeners.size + streamListenerCount;
    },

    close() {
      closed = true;
      listeners.clear();
      streamListeners.clear();
      streamListenerCount = 0;
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
