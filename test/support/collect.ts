import type { StoredEvent } from '../../src/events/index.js';
import type { Subscription } from '../../src/store/index.js';

/** Reads `count` events from a subscription, or fails after `timeoutMs` with what it got. */
export async function take(
  subscription: Subscription,
  count: number,
  timeoutMs = 10_000,
): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  if (count === 0) return events;
  const timer = setTimeout(() => subscription.close(), timeoutMs);
  try {
    for await (const event of subscription) {
      events.push(event);
      if (events.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (events.length < count) {
    throw new Error(`expected ${count} events within ${timeoutMs} ms, got ${events.length}`);
  }
  return events;
}

/** Resolves true if nothing arrives within `ms` (the subscription stays usable). */
export function nothingWithin(iterator: AsyncIterator<StoredEvent>, ms: number) {
  let pending: Promise<IteratorResult<StoredEvent>> | undefined;
  return {
    async quiet(): Promise<boolean> {
      pending ??= iterator.next();
      const winner = await Promise.race([
        pending.then(() => 'event' as const),
        new Promise<'quiet'>((resolve) => setTimeout(() => resolve('quiet'), ms)),
      ]);
      return winner === 'quiet';
    },
    next(): Promise<IteratorResult<StoredEvent>> {
      const result = pending ?? iterator.next();
      pending = undefined;
      return result;
    },
  };
}

/** Polls `check` until it returns true, failing after `timeoutMs`. For state, not for speed. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
