/**
 * Part 4 of `bench:bus`: the seed's burst target, 100,000 messages published in batches as
 * fast as the bus takes them, timed until the last is handled, with this process's RSS before,
 * at its peak and after (the bus, its consumer and, for memory, the queue itself all live here).
 */
import type { AdapterRun } from './bus-adapters.js';
import { BATCH_SIZE, BATCHES_IN_FLIGHT } from './bus-compare.js';
import { rssSampler, throughput } from './bus-measure.js';
import { progress } from './report.js';

export interface Burst {
  messages: number;
  /** Until every `publishBatch` had resolved. */
  publishSeconds: number;
  /** Until the last message was handled. */
  consumedSeconds: number;
  perSec: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
  heapBeforeMb: number;
  heapPeakMb: number;
  heapAfterMb: number;
}

const DEADLINE_MS = 150_000;

export async function burst(name: string, run: AdapterRun, messages: number): Promise<Burst> {
  progress(`${name}: burst of ${messages} in batches of ${BATCH_SIZE}`);
  const rss = rssSampler(50);
  try {
    const result = await throughput(await run.bus('burst'), {
      n: messages,
      publishMs: DEADLINE_MS,
      batch: BATCH_SIZE,
      inFlight: BATCHES_IN_FLIGHT,
      deadlineMs: DEADLINE_MS,
    });
    const memory = rss.stop();
    return {
      messages,
      publishSeconds: messages / result.publishPerSec,
      consumedSeconds: result.seconds,
      perSec: result.perSec,
      rssBeforeMb: memory.startMb,
      rssPeakMb: memory.peakMb,
      rssAfterMb: memory.endMb,
      heapBeforeMb: memory.heapStartMb,
      heapPeakMb: memory.heapPeakMb,
      heapAfterMb: memory.heapEndMb,
    };
  } finally {
    rss.stop();
  }
}
