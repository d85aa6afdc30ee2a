/**
 * Acknowledgements that arrive while one batch is in flight go together in the next: one
 * statement for many, so a busy consumer costs a round trip per batch, not per message.
 */
export function createAckBatcher<T>(
  run: (items: T[]) => Promise<void>,
  maxBatch = 500,
): { add(item: T): Promise<void>; drained(): Promise<void> } {
  const queue: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let running: Promise<void> | undefined;

  async function flush(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        try {
          await run(batch.map((entry) => entry.item));
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      running = undefined;
    }
  }

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        running ??= flush();
      });
    },
    async drained() {
      while (running) await running;
    },
  };
}
