import type { StoredEvent } from '../events/index.js';
import type { EventStore, SubscribeOptions } from './event-store.js';

export interface DurableSubscriberOptions {
  /** Unique name; its checkpoint survives restarts. */
  name: string;
  /** Called once per event in global order; must be idempotent (delivery is at-least-once). */
  handle: (event: StoredEvent) => Promise<void>;
  types?: SubscribeOptions['types'];
  tenant?: string;
  /** A failed handler stops the subscriber; the checkpoint stays before the failed event. */
  onError?: (error: unknown, event: StoredEvent | undefined) => void;
}

export interface DurableSubscriber {
  /** Position of the last event handled and checkpointed. */
  readonly position: number;
  /** Resolves once the subscriber has handled every event up to `position`. */
  waitFor(position: number, timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * A named follower of the store: resumes after its checkpoint, hands each event to `handle`,
 * then records the event's position. A crash between the two repeats one event, never skips.
 */
export async function startDurableSubscriber(
  store: EventStore,
  options: DurableSubscriberOptions,
): Promise<DurableSubscriber> {
  let position = (await store.loadCheckpoint(options.name)) ?? 0;
  const subscription = store.subscribe({
    from: position,
    types: options.types,
    tenant: options.tenant,
  });
  const waiters = new Set<{ position: number; resolve: (reached: boolean) => void }>();

  function settleWaiters(all = false): void {
    for (const waiter of waiters) {
      if (all || waiter.position <= position) {
        waiters.delete(waiter);
        waiter.resolve(waiter.position <= position);
      }
    }
  }

  const done = (async () => {
    let current: StoredEvent | undefined;
    try {
      for await (const event of subscription) {
        current = event;
        await options.handle(event);
        await store.saveCheckpoint(options.name, event.globalPosition);
        position = event.globalPosition;
        settleWaiters();
      }
    } catch (error) {
      options.onError?.(error, current);
    } finally {
      settleWaiters(true);
    }
  })();

  return {
    get position() {
      return position;
    },
    waitFor(target, timeoutMs = 5_000) {
      if (target <= position) return Promise.resolve(true);
      return new Promise((resolve) => {
        const waiter = {
          position: target,
          resolve: (reached: boolean) => {
            clearTimeout(timer);
            resolve(reached);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(false);
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async stop() {
      subscription.close();
      await done;
    },
  };
}
