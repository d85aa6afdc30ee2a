import type { StoredEvent } from '../events/index.js';
import type { EventStore, SubscribeOptions } from './event-store.js';

export interface DurableSubscriberOptions {
  /** Unique name; its checkpoint survives restarts. */
  name: string;
  /** Called for each event in global order; must be idempotent (delivery is at-least-once). */
  handle?: (event: StoredEvent) => Promise<void>;
  /**
   * Instead of `handle`: called with every event already received (at most `maxBatch`), in
   * global order, so a projection can write them in one statement.
   */
  handleBatch?: (events: StoredEvent[]) => Promise<void>;
  maxBatch?: number;
  /**
   * With `handleBatch`: how long a batch may wait for more events after its first one, so a
   * projection writes fewer, larger batches. `waitFor` and `stop` cut the wait short, so a
   * reader that needs the projection current does not pay for it. Default 0: the next turn
   * of the event loop.
   */
  maxBatchDelayMs?: number;
  types?: SubscribeOptions['types'];
  tenant?: string;
  /** Where a subscriber without a checkpoint begins: every stored event, or only new ones. */
  firstStart?: 'start' | 'end';
  /**
   * How often the checkpoint is written: after `events` handled events or `ms` milliseconds,
   * whichever comes first, and at stop. The default writes after every event; a handler that
   * is idempotent anyway can save writes by allowing more replay after a crash.
   */
  checkpoint?: { events: number; ms: number };
  /**
   * Told of every failure. A failed event is retried (backing off to 30 s) until it
   * succeeds or the subscriber stops: a follower never skips an event. With `stopOnError`
   * the subscriber stops instead, its checkpoint before the failed event.
   */
  onError?: (error: unknown, event: StoredEvent | undefined) => void;
  stopOnError?: boolean;
}

export interface DurableSubscriber {
  /** Position of the last event handled. */
  readonly position: number;
  /** Resolves true once the subscriber has handled every event up to `position`. */
  waitFor(position: number, timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * A named follower of the store: resumes after its checkpoint, hands each event to `handle`,
 * then records its progress. A crash between the two repeats events, never skips one.
 */
export async function startDurableSubscriber(
  store: EventStore,
  options: DurableSubscriberOptions,
): Promise<DurableSubscriber> {
  const every = options.checkpoint ?? { events: 1, ms: 0 };
  const checkpoint = await store.loadCheckpoint(options.name);
  let position = checkpoint ?? 0;
  let saved = position;
  let unsaved = 0;
  let timer: NodeJS.Timeout | undefined;
  // Commits of other types move the head, not this subscriber: when it has handled all it was
  // given, it has passed them too, or `waitFor(head)` would wait for an event that never comes.
  let busy = false;
  const passFiltered = () => {
    const idle = subscription.idleThrough;
    if (idle === undefined || idle <= position) return false;
    position = idle;
    return true;
  };
  const subscription = store.subscribe({
    from: checkpoint ?? (options.firstStart === 'end' ? 'end' : 0),
    types: options.types,
    tenant: options.tenant,
    onIdle: () => {
      if (busy || !passFiltered()) return;
      settleWaiters();
      scheduleSave();
    },
    // Catching up, a batch handler takes each read whole.
    ...(options.handleBatch ? { batchSize: options.maxBatch ?? 500 } : {}),
  });
  // Started means started: what is appended once this resolves is handled.
  await subscription.ready;
  const waiters = new Set<{ position: number; resolve: (reached: boolean) => void }>();

  function settleWaiters(all = false): void {
    for (const waiter of waiters) {
      if (all || waiter.position <= position) {
        waiters.delete(waiter);
        waiter.resolve(waiter.position <= position);
      }
    }
  }

  function scheduleSave(): void {
    timer ??= setTimeout(
      () => void save().catch((error) => options.onError?.(error, undefined)),
      every.ms,
    );
  }

  async function save(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (saved === position) return;
    const at = position;
    await store.saveCheckpoint(options.name, at);
    saved = at;
    unsaved = 0;
  }

  const stopping = new AbortController();
  // Resolves the current batch delay early: a reader is waiting, or the subscriber stops.
  let hurry: (() => void) | undefined;
  function gather(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms > 0 ? setTimeout(done, ms) : undefined;
      const immediate = ms > 0 ? undefined : setImmediate(done);
      function done() {
        clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
        hurry = undefined;
        resolve();
      }
      hurry = done;
      if (stopping.signal.aborted || waiters.size > 0) done();
    });
  }
  async function handleWithRetry(events: StoredEvent[]): Promise<void> {
    for (let delay = 100; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        if (options.handleBatch) return await options.handleBatch(events);
        return await options.handle?.(events[0]!);
      } catch (error) {
        if (options.stopOnError || stopping.signal.aborted) throw error;
        options.onError?.(error, events[0]);
        await sleep(delay, stopping.signal);
        if (stopping.signal.aborted) throw error;
      }
    }
  }

  const done = (async () => {
    let current: StoredEvent | undefined;
    try {
      const maxBatch = options.maxBatch ?? 500;
      for await (const first of subscription) {
        // One event at a time for `handle`; for `handleBatch`, whatever has arrived by the next
        // turn of the event loop (commits of requests that came in together), or within the
        // allowed delay, as one batch.
        busy = true;
        const events = [first];
        if (options.handleBatch) {
          await gather(options.maxBatchDelayMs ?? 0);
          events.push(...subscription.takeReady(maxBatch - 1));
        }
        current = first;
        await handleWithRetry(events);
        position = events[events.length - 1]!.globalPosition;
        busy = false;
        passFiltered();
        unsaved += events.length;
        settleWaiters();
        if (unsaved >= every.events) await save();
        else scheduleSave();
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
        queueMicrotask(() => hurry?.());
        const waiter = {
          position: target,
          resolve: (reached: boolean) => {
            clearTimeout(timeout);
            resolve(reached);
          },
        };
        const timeout = setTimeout(() => {
          waiters.delete(waiter);
          resolve(false);
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async stop() {
      stopping.abort();
      hurry?.();
      subscription.close();
      await done;
      await save().catch((error) => options.onError?.(error, undefined));
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
