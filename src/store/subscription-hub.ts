import type { StoredEvent } from '../events/index.js';
import type {
  StoreStats,
  StreamSubscribeOptions,
  SubscribeOptions,
  Subscription,
} from './event-store.js';
import { createLiveFeed } from './live-feed.js';
import type { StableReader } from './stable-reader.js';
import { createStreamSubscription } from './stream-subscription.js';
import { createSubscription } from './subscription.js';

/** What every adapter needs to offer subscriptions: one live feed and the open subscriptions. */
export interface SubscriptionHub {
  subscribe(options?: SubscribeOptions): Subscription;
  subscribeToStream(streamId: string, options?: StreamSubscribeOptions): Subscription;
  /** Another process appended up to `position`: let the live feed read it. */
  wake(position?: number): void;
  /** This process committed `events` (see LiveFeed.committed). */
  committed(events: readonly StoredEvent[]): void;
  stats(): StoreStats;
  close(): void;
}

export interface SubscriptionHubOptions {
  /** Set for an exclusive store, with its newest position at open (see live-feed.ts). */
  exclusive?: { head: number };
  readStream(streamId: string, fromVersion: number, limit: number): Promise<StoredEvent[]>;
  onError?: (error: unknown) => void;
}

export function createSubscriptionHub(
  reader: StableReader,
  options: SubscriptionHubOptions,
): SubscriptionHub {
  const feed = createLiveFeed(reader, {
    onError: options.onError,
    ...(options.exclusive ? { exclusive: options.exclusive } : {}),
  });
  const open = new Set<Subscription>();
  const track = (create: (onClose: () => void) => Subscription) => {
    let subscription: Subscription | undefined;
    let closedAtOnce = false;
    subscription = create(() => {
      if (subscription) open.delete(subscription);
      else closedAtOnce = true; // an aborted signal closes it before it is returned
    });
    if (!closedAtOnce) open.add(subscription);
    return subscription;
  };
  return {
    subscribe: (subscribeOptions) =>
      track((onClose) => createSubscription({ reader, feed, onClose }, subscribeOptions)),
    subscribeToStream: (streamId, streamOptions) =>
      track((onClose) =>
        createStreamSubscription(
          { feed, readStream: options.readStream, onClose },
          streamId,
          streamOptions,
        ),
      ),
    wake: (position) => feed.wake(position),
    committed: (events) => feed.committed(events),
    stats: () => ({ subscriptions: open.size, liveListeners: feed.listenerCount }),
    close() {
      for (const subscription of [...open]) subscription.close();
      feed.close();
    },
  };
}
