import type { StoredEvent } from '../events/index.js';

/**
 * The `[Symbol.asyncIterator]` of a subscription: events from `follow`, one iteration only,
 * and the subscription closed however the loop ends: done, thrown, or left (`return`, which
 * closes first so that a generator waiting for an event wakes up and finishes).
 */
export function iterateOnce(
  follow: () => AsyncGenerator<StoredEvent>,
  close: () => void,
): () => AsyncIterableIterator<StoredEvent> {
  let iterated = false;
  async function* run(): AsyncGenerator<StoredEvent> {
    try {
      yield* follow();
    } finally {
      close();
    }
  }
  return () => {
    if (iterated) throw new Error('a subscription can be iterated only once');
    iterated = true;
    const generator = run();
    return {
      next: () => generator.next(),
      return: async (value?: unknown) => {
        close();
        return generator.return(value as undefined);
      },
      throw: (error?: unknown) => generator.throw(error),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };
}
