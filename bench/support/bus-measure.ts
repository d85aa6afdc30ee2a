/**
 * The two drivers every subject (bus or reference) goes through: throughput (publish N as fast
 * as the publishers can, until the last is handled) and latency (a steady paced rate, publish
 * call to handler start). Both are bounded by a deadline and count distinct payloads, so a
 * lost message fails the measure rather than hangs it, and a repeat is not counted twice.
 */
import { type Payload, payload, type Subject } from './bus-subject.js';

export interface ThroughputOptions {
  /** Messages, unless publishing them would take longer than `publishMs`. */
  n: number;
  publishMs: number;
  /** 1: single publishes; more: `publishBatch` of this many. */
  batch: number;
  /** Publish calls in flight at once. */
  inFlight: number;
  deadlineMs: number;
}

export interface Throughput {
  /** Messages published and handled: N, or fewer when `publishMs` ran out first. */
  messages: number;
  /** Messages ÷ seconds from the first publish to the last payload handled. */
  perSec: number;
  /** Messages ÷ seconds until every publish call had resolved. */
  publishPerSec: number;
  seconds: number;
}

/**
 * Counts distinct payloads as they are handled; `all` resolves once `expected` were (lowered
 * with `expect` when publishing stopped short of it).
 */
function counter(n: number) {
  const seen = new Uint8Array(n);
  let count = 0;
  let expected = n;
  let resolve!: () => void;
  const all = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    all,
    get count() {
      return count;
    },
    expect(total: number) {
      expected = total;
      if (count >= expected) resolve();
    },
    see(p: Payload): boolean {
      if (p.seq < 0 || p.seq >= n || seen[p.seq]) return false;
      seen[p.seq] = 1;
      if (++count >= expected) resolve();
      return true;
    },
  };
}

async function within(ms: number, what: string, done: Promise<unknown>, progress: () => string) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: not done in ${ms} ms (${progress()})`)),
      ms,
    );
  });
  try {
    await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Publishes N through `subject` (fewer if `publishMs` runs out first: the slowest adapters
 * stay within the bench's time) and waits until all are handled; closes it either way.
 */
export async function throughput(
  subject: Subject,
  options: ThroughputOptions,
): Promise<Throughput> {
  const { n, batch, inFlight } = options;
  const handled = counter(n);
  try {
    await subject.consume((p) => {
      handled.see(p);
    });
    let next = 0;
    const started = performance.now();
    let published = Number.NaN;
    const stopAt = performance.now() + options.publishMs;
    const publishing = Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < n && performance.now() < stopAt) {
          const from = next;
          next = Math.min(n, next + batch);
          const payloads: Payload[] = [];
          for (let seq = from; seq < next; seq++) payloads.push(payload(seq));
          await subject.publish(payloads);
        }
      }),
    ).then(() => {
      published = performance.now();
      handled.expect(next);
    });
    await within(
      options.deadlineMs,
      `${n} messages`,
      Promise.all([publishing, handled.all]),
      () => `${handled.count} handled`,
    );
    const ended = performance.now();
    return {
      messages: next,
      perSec: (next * 1_000) / (ended - started),
      publishPerSec: (next * 1_000) / (published - started),
      seconds: (ended - started) / 1_000,
    };
  } finally {
    await subject.close();
  }
}

export interface LatencyOptions {
  ratePerSec: number;
  count: number;
  deadlineMs: number;
}

/**
 * Publishes `count` single messages at `ratePerSec`, not waiting for one to be stored before
 * the next is due (an open loop, as independent callers are), and returns each one's time
 * from just before its publish call to its handler's start, in ms.
 */
export async function latency(subject: Subject, options: LatencyOptions): Promise<number[]> {
  const { count, ratePerSec } = options;
  const handled = counter(count);
  const samples: number[] = [];
  try {
    await subject.consume((p) => {
      const at = performance.now();
      if (handled.see(p)) samples.push(at - p.sentAt);
    });
    const failures: unknown[] = [];
    const calls: Promise<void>[] = [];
    const started = performance.now();
    let sent = 0;
    while (sent < count) {
      const due = Math.min(
        count,
        Math.floor(((performance.now() - started) * ratePerSec) / 1_000) + 1,
      );
      for (; sent < due; sent++) {
        calls.push(
          subject.publish([payload(sent)]).catch((error: unknown) => void failures.push(error)),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await within(
      options.deadlineMs,
      `${count} messages at ${ratePerSec}/s`,
      Promise.all([Promise.all(calls), handled.all]),
      () => `${handled.count} handled, ${failures.length} publishes failed`,
    );
    if (failures.length > 0) throw failures[0];
    return samples;
  } finally {
    await subject.close();
  }
}

/** RSS and heap in use, sampled every `everyMs` until stopped: a phase's before, peak and after. */
export function rssSampler(everyMs = 100) {
  const toMb = (bytes: number) => bytes / 1024 / 1024;
  const sample = () => {
    const usage = process.memoryUsage();
    return { atMs: performance.now() - started, mb: toMb(usage.rss), heapMb: toMb(usage.heapUsed) };
  };
  const started = performance.now();
  const samples = [sample()];
  const timer = setInterval(() => samples.push(sample()), everyMs);
  let stopped: ReturnType<typeof summary> | undefined;
  function summary() {
    const last = samples[samples.length - 1]!;
    return {
      startMb: samples[0]!.mb,
      peakMb: Math.max(...samples.map((s) => s.mb)),
      endMb: last.mb,
      heapStartMb: samples[0]!.heapMb,
      heapPeakMb: Math.max(...samples.map((s) => s.heapMb)),
      heapEndMb: last.heapMb,
      samples,
    };
  }
  return {
    /** Takes a last sample the first time; later calls return the same figures. */
    stop() {
      if (!stopped) {
        clearInterval(timer);
        samples.push(sample());
        stopped = summary();
      }
      return stopped;
    },
  };
}
