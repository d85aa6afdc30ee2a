export interface Batcher<I, O> {
  /** Runs `input` alone or together with others that wait at the same time. */
  submit(input: I, weight: number): Promise<O>;
}

export interface BatcherOptions<I, O> {
  /** Round trips in flight at once; what arrives meanwhile waits and is grouped. */
  concurrency: number;
  /** Upper bound of the summed weights (events) of one group. */
  maxWeight: number;
  /** Runs a group in one transaction; one result per input, in order. */
  run(inputs: I[]): Promise<O[]>;
}

interface Job<I, O> {
  input: I;
  weight: number;
  resolve(output: O): void;
  reject(error: unknown): void;
}

/**
 * Group commit. Under load most of an append's cost is the round trip and the commit, not
 * the rows, so appends that queue up while the connections are busy go to the database
 * together: one statement, one commit, still one outcome per append (the SQL function
 * checks each on its own). A group that fails as a whole is re-run one append at a time, so
 * a single bad append cannot fail its neighbours; re-running is safe because appends are
 * idempotent on event ids.
 */
export function createAppendBatcher<I, O>(options: BatcherOptions<I, O>): Batcher<I, O> {
  const queue: Job<I, O>[] = [];
  let active = 0;

  function takeGroup(): Job<I, O>[] {
    const group = [queue.shift()!];
    let weight = group[0]!.weight;
    while (queue.length > 0 && weight + queue[0]!.weight <= options.maxWeight) {
      const next = queue.shift()!;
      weight += next.weight;
      group.push(next);
    }
    return group;
  }

  async function runGroup(group: Job<I, O>[]): Promise<void> {
    try {
      const outputs = await options.run(group.map((job) => job.input));
      for (const [index, job] of group.entries()) job.resolve(outputs[index]!);
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      await Promise.all(group.map((job) => runGroup([job])));
    }
  }

  function pump(): void {
    scheduled = false;
    while (active < options.concurrency && queue.length > 0) {
      active += 1;
      void runGroup(takeGroup()).finally(() => {
        active -= 1;
        schedule();
      });
    }
  }

  // A group starts on the next turn of the event loop, not at once: appends of requests that
  // arrived together join it. PGlite runs each statement to its end before anything else can
  // happen, so without this pause no second append would ever be waiting to join.
  let scheduled = false;
  function schedule(): void {
    if (scheduled || queue.length === 0 || active >= options.concurrency) return;
    scheduled = true;
    setImmediate(pump);
  }

  return {
    submit(input, weight) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ input, weight, resolve, reject });
        schedule();
      });
    },
  };
}
