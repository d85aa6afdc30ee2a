import type { StoreStats, SubscribeOptions, Subscription } from './event-store.js';
import { createLiveFeed } from './live-feed.js';
import type { StableReader } from './stable-reader.js';
import { createSubscription } from './subscription.js';

/** What every adapter needs to offer `subscribe`: one live feed and the open subscriptions. */
export interface SubscriptionHub {
  subscribe(options?: SubscribeOptions): Subscription;
  /** An append reached `position`: let the live feed read it. */
  wake(position?: number): void;
  stats(): StoreStats;
  close(): void;
}

export function createSubscriptionHub(
  reader: StableReader,
  onError?: (error: unknown) => void,
): SubscriptionHub {
  const feed = createLiveFeed(reader, { onError });
  const open = new Set<Subscription>();
  return {
    subscribe(options) {
      const subscription = createSubscription(
        { reader, feed, onClose: () => open.delete(subscription) },
        options,
      );
      open.add(subscription);
      return subscription;
    },
    wake: (position) => feed.wake(position),
    stats: () => ({ subscriptions: open.size, liveListeners: feed.listenerCount }),
    close() {
      for (const subscription of [...open]) subscription.close();
      feed.close();
    },
  };
}
