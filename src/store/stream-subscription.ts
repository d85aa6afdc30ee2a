import type { StoredEvent } from '../events/index.js';
import type { StreamSubscribeOptions, Subscription } from './event-store.js';
import { iterateOnce } from './iterate-once.js';
import type { LiveFeed } from './live-feed.js';

export interface StreamSubscriptionContext {
  feed: LiveFeed;
  /** Stored events of the stream from `fromVersion` on, in version order, at most `limit`. */
  readStream(streamId: string, fromVersion: number, limit: number): Promise<StoredEvent[]>;
  /** Events received ahead of a gap before the subscription reads the store instead. */
  maxBuffered?: number;
  onClose?: () => void;
}

/**
 * One stream, in version order: stored events first, then what the feed hands over. A
 * stream's versions are gap-free and commit in order (each append locks its stream), so a
 * delivered version v proves every version below it is committed: a gap in what arrives (an
 * event of another instance not read yet, or two commits of this one racing back) is filled
 * with one read of the stream, and anything that arrives twice is dropped by its version.
 * No wait for other streams' transactions, unlike a store-wide subscription.
 */
export function createStreamSubscription(
  context: StreamSubscriptionContext,
  streamId: string,
  options: StreamSubscribeOptions = {},
): Subscription {
  const batchSize = options.batchSize ?? 500;
  const maxBuffered = context.maxBuffered ?? 10_000;
  let version = options.afterVersion ?? 0;
  let position = 0;
  let closed = false;
  let draining = false;
  let overflowed = false;
  let wakeConsumer: (() => void) | undefined;
  // Events that arrived after `version`, by version, waiting for their turn.
  const arrived = new Map<number, StoredEvent>();

  const listener = (events: readonly StoredEvent[]) => {
    for (const event of events) {
      if (event.streamVersion > version) arrived.set(event.streamVersion, event);
    }
    if (arrived.size > maxBuffered) {
      overflowed = true;
      arrived.clear();
    }
    notify();
  };
  const detach = context.feed.attachStream(streamId, listener);
  const onAbort = () => subscription.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  function notify(): void {
    const wake = wakeConsumer;
    wakeConsumer = undefined;
    wake?.();
  }

  function signalled(): Promise<void> {
    return new Promise((resolve) => {
      wakeConsumer = resolve;
    });
  }

  function takeNext(): StoredEvent | undefined {
    const event = arrived.get(version + 1);
    if (!event) return undefined;
    arrived.delete(version + 1);
    version = event.streamVersion;
    position = event.globalPosition;
    return event;
  }

  /** True when what arrived cannot be handed out in order: the store must fill a gap. */
  function hasGap(): boolean {
    for (const key of arrived.keys()) if (key <= version) arrived.delete(key);
    return arrived.size > 0 || overflowed;
  }

  async function* follow(): AsyncGenerator<StoredEvent> {
    // Starting where the feed knows the stream to be, or on a new stream, there is nothing
    // stored to catch up on.
    let read =
      !(options.newStream && version === 0) && context.feed.knownVersion(streamId) !== version;
    while (!closed) {
      overflowed = false;
      for (; read; ) {
        const batch = await context.readStream(streamId, version + 1, batchSize);
        for (const event of batch) {
          if (closed) return;
          if (event.streamVersion !== version + 1) continue;
          version = event.streamVersion;
          position = event.globalPosition;
          yield event;
        }
        if (batch.length < batchSize || closed) break;
      }
      read = true;
      draining = true;
      try {
        while (!closed) {
          for (let event = takeNext(); event; event = takeNext()) {
            yield event;
            if (closed) return;
          }
          if (hasGap()) break;
          await signalled();
        }
      } finally {
        draining = false;
      }
    }
  }

  const subscription: Subscription = {
    ready: Promise.resolve(0),
    get position() {
      return position;
    },
    // Versions, not global positions: store-wide progress means nothing here.
    idleThrough: undefined,
    takeReady(max) {
      const taken: StoredEvent[] = [];
      while (draining && taken.length < max) {
        const event = takeNext();
        if (!event) break;
        taken.push(event);
      }
      return taken;
    },
    close() {
      if (closed) return;
      closed = true;
      detach();
      arrived.clear();
      options.signal?.removeEventListener('abort', onAbort);
      notify();
      context.onClose?.();
    },
    [Symbol.asyncIterator]: iterateOnce(follow, () => subscription.close()),
  };
  if (options.signal?.aborted) subscription.close();
  return subscription;
}
