/**
 * Parts 1 to 3 of `bench:bus` for one adapter: throughput with single publishes and with
 * batches, then latency at a steady rate, each measured through the bus and then through the
 * service's native client (the reference), back to back so both see the same machine.
 */
import type { AdapterRun } from './bus-adapters.js';
import { latency, type Throughput, throughput } from './bus-measure.js';
import { percentile, progress } from './report.js';

export interface CompareSettings {
  /** Messages per throughput measure (already scaled for the adapter). */
  n: number;
  /** Bound on each throughput measure's publishing: fewer than `n` when it runs out. */
  publishMs: number;
  /** Latency is measured at this rate, or at half the slower single-publish rate if lower. */
  ratePerSec: number;
  latencySeconds: number;
}

export interface Pair<T> {
  bus?: T;
  reference?: T;
}

export interface Latency {
  p50Ms: number;
  p99Ms: number;
}

export interface Comparison {
  n: number;
  single: Pair<Throughput>;
  batch: Pair<Throughput>;
  latency: Pair<Latency> & { ratePerSec: number; count: number };
  /** What failed, measure by measure. */
  failures: string[];
}

/** Single publishes in flight at once. */
export const SINGLE_IN_FLIGHT = 64;
export const BATCH_SIZE = 100;
/** `publishBatch` calls in flight at once. */
export const BATCHES_IN_FLIGHT = 4;
const DEADLINE_MS = 90_000;

export async function compare(
  name: string,
  run: AdapterRun,
  settings: CompareSettings,
): Promise<Comparison> {
  const failures: string[] = [];
  /** One measure; a failure is reported and the others still run. */
  async function attempt<T>(label: string, work: () => Promise<T>): Promise<T | undefined> {
    progress(`${name}: ${label}`);
    try {
      return await work();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      progress(`${name}: ${label} failed: ${reason}`);
      failures.push(`${label}: ${reason}`);
      return undefined;
    }
  }
  const { n, publishMs } = settings;
  const deadlineMs = DEADLINE_MS;
  const single = { batch: 1, inFlight: SINGLE_IN_FLIGHT, n, publishMs, deadlineMs };
  const batched = { batch: BATCH_SIZE, inFlight: BATCHES_IN_FLIGHT, n, publishMs, deadlineMs };
  const result: Comparison = {
    n,
    single: {
      bus: await attempt(`bus, up to ${n} single publishes`, async () =>
        throughput(await run.bus('single'), single),
      ),
      reference: await attempt(`reference, up to ${n} single publishes`, async () =>
        throughput(await run.reference('single'), single),
      ),
    },
    batch: {
      bus: await attempt(`bus, up to ${n} in batches of ${BATCH_SIZE}`, async () =>
        throughput(await run.bus('batch'), batched),
      ),
      reference: await attempt(`reference, up to ${n} in batches of ${BATCH_SIZE}`, async () =>
        throughput(await run.reference('batch'), batched),
      ),
    },
    latency: { ratePerSec: 0, count: 0 },
    failures,
  };
  // Moderate for this adapter: a rate it cannot sustain measures its queue, not its latency.
  const capacity = Math.min(
    result.single.bus?.perSec ?? Number.POSITIVE_INFINITY,
    result.single.reference?.perSec ?? Number.POSITIVE_INFINITY,
  );
  const ratePerSec = Math.max(20, Math.round(Math.min(settings.ratePerSec, capacity / 2)));
  const count = Math.round(ratePerSec * settings.latencySeconds);
  const paced = { ratePerSec, count, deadlineMs };
  const summary = (samples: number[] | undefined): Latency | undefined =>
    samples && { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) };
  result.latency = {
    ratePerSec,
    count,
    bus: summary(
      await attempt(`bus latency, ${count} at ${ratePerSec}/s`, async () =>
        latency(await run.bus('latency'), paced),
      ),
    ),
    reference: summary(
      await attempt(`reference latency, ${count} at ${ratePerSec}/s`, async () =>
        latency(await run.reference('latency'), paced),
      ),
    ),
  };
  return result;
}
