import type { StoredEvent } from '../events/index.js';
import type { SubscribeOptions, Subscription } from './event-store.js';
import { iterateOnce } from './iterate-once.js';
import type { Attachment, LiveFeed } from './live-feed.js';
import { type EventFilter, matchesFilter, type StableReader } from './stable-reader.js';

export interface SubscriptionContext {
  reader: StableReader;
  feed: LiveFeed;
  /** Live events a slow consumer may leave unread before it falls back to catch-up reads. */
  maxBuffered?: number;
  onClose?: () => void;
}

/**
 * Catch-up, then live: read stable events from the cursor, attach to the live feed, fill the
 * gap between the cursor and the feed's position from the store, then hand out what the feed
 * delivers. A consumer that falls more than `maxBuffered` events behind is detached and
 * catches up from the store again, so memory stays bounded and nothing is lost.
 */
export function createSubscription(
  context: SubscriptionContext,
  options: SubscribeOptions = {},
): Subscription {
  const batchSize = options.batchSize ?? 200;
  const maxBuffered = context.maxBuffered ?? 10_000;
  const filter: EventFilter = {
    types: options.types,
    tenant: options.tenant,
    streamId: options.streamId,
  };
  let cursor = typeof options.from === 'number' ? options.from : 0;
  // `end` is the head when subscribe() is called: known at once when the feed follows the
  // store (always, in an exclusive store), else read now rather than when iteration starts.
  if (options.from === 'end' && context.feed.position !== undefined) {
    cursor = context.feed.position;
  }
  const ready: Promise<number> =
    options.from === 'end' && context.feed.position === undefined
      ? context.reader.stableHead().then((head) => {
          cursor = Math.max(cursor, head);
          return cursor;
        })
      : Promise.resolve(cursor);
  // A failed head read surfaces when the subscription is iterated.
  ready.catch(() => {});
  let closed = false;
  let wakeConsumer: (() => void) | undefined;
  let attachment: Attachment | undefined;
  // Live events received and not yet handed out: live[head…]. `draining` is true while the
  // iterator hands them out in order (not while a catch-up read still comes first).
  let live: StoredEvent[] = [];
  let head = 0;
  let draining = false;
  // The highest live position seen, matching the filter or not.
  let observed = 0;

  const onAbort = () => subscription.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  function signalled(): Promise<void> {
    return new Promise((resolve) => {
      wakeConsumer = resolve;
    });
  }

  function notify(): void {
    const wake = wakeConsumer;
    wakeConsumer = undefined;
    wake?.();
  }

  // The batch a catch-up read returned, handed out from `read[next]` on: by the iterator, or
  // by `takeReady` in between, so a batch consumer gets what was read in one go.
  let read: StoredEvent[] = [];
  let next = 0;

  async function* catchUp(upTo?: number): AsyncGenerator<StoredEvent> {
    for (;;) {
      read = await context.reader.readStable(cursor, batchSize, filter, upTo);
      next = 0;
      const full = read.length === batchSize;
      while (next < read.length) {
        if (closed) return;
        const event = read[next++]!;
        cursor = event.globalPosition;
        yield event;
      }
      read = [];
      if (!full || closed) return;
    }
  }

  async function* follow(): AsyncGenerator<StoredEvent> {
    await ready;
    while (!closed) {
      live = [];
      head = 0;
      let overflowed = false;
      const listener = (events: readonly StoredEvent[]) => {
        const before = live.length;
        for (const event of events) {
          if (event.globalPosition > observed) observed = event.globalPosition;
          if (matchesFilter(event, filter)) live.push(event);
        }
        if (live.length === before && draining && head >= live.length) options.onIdle?.();
        if (live.length - head > maxBuffered) {
          overflowed = true;
          attachment?.detach();
        }
        notify();
      };
      // Near the head the feed's window of recent events is the catch-up; else the store.
      const recent = context.feed.attachAfter(cursor, listener);
      if (recent) {
        attachment = recent.attachment;
        for (const event of recent.backlog) if (matchesFilter(event, filter)) live.push(event);
      } else {
        yield* catchUp();
        if (closed) return;
        attachment = await context.feed.attach(listener);
      }
      try {
        if (!recent && attachment.position > cursor) yield* catchUp(attachment.position);
        draining = true;
        while (!closed) {
          while (head < live.length) {
            const event = live[head++]!;
            // The gap fill may already have handed out what the feed delivers as well.
            if (event.globalPosition <= cursor) continue;
            cursor = event.globalPosition;
            yield event;
            if (closed) return;
          }
          live.length = 0;
          head = 0;
          if (overflowed) break;
          await signalled();
        }
      } finally {
        draining = false;
        attachment.detach();
        attachment = undefined;
      }
    }
  }

  const subscription: Subscription = {
    ready,
    get position() {
      return cursor;
    },
    get idleThrough() {
      return draining && head >= live.length ? Math.max(cursor, observed) : undefined;
    },
    takeReady(max) {
      const taken: StoredEvent[] = [];
      while (next < read.length && taken.length < max) {
        const event = read[next++]!;
        cursor = event.globalPosition;
        taken.push(event);
      }
      while (draining && head < live.length && taken.length < max) {
        const event = live[head++]!;
        if (event.globalPosition <= cursor) continue;
        cursor = event.globalPosition;
        taken.push(event);
      }
      return taken;
    },
    close() {
      if (closed) return;
      closed = true;
      attachment?.detach();
      options.signal?.removeEventListener('abort', onAbort);
      notify();
      context.onClose?.();
    },
    [Symbol.asyncIterator]: iterateOnce(follow, () => subscription.close()),
  };
  if (options.signal?.aborted) subscription.close();
  return subscription;
}
