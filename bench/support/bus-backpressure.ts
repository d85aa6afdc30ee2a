/**
 * Part 5 of `bench:bus`: 10× overload against a bounded memory broker. A consumer that can
 * handle about `consumeRate` messages a second (handlers waiting on a timer, as I/O would),
 * publishers offering ten times that for a bounded time. The broker's `maxDepth` and the bus's
 * `maxPendingPublishes` should hold memory flat: the excess waits, then is refused with
 * `BusBackpressureError`, rather than piling up. Two kinds of publishers:
 * - waiting: PUBLISHERS callers, each awaiting its publish before its next (a caller the bus
 *   makes wait offers less: what request handlers awaiting a publish do);
 * - independent: one publish call per message on the clock, never waiting for the last (what
 *   unrelated requests arriving at that rate do), so up to rate × publishTimeoutMs calls wait.
 */
import { BusBackpressureError, createMemoryTransport, MemoryBroker } from '../../src/bus/index.js';
import { rssSampler } from './bus-measure.js';
import { busSubject, payload } from './bus-subject.js';
import { progress } from './report.js';

export type Callers = 'waiting' | 'independent';

export interface BackpressureSettings {
  callers: Callers;
  seconds: number;
  consumeRate: number;
  offeredRate: number;
  maxDepth: number;
  maxPendingPublishes: number;
  publishTimeoutMs: number;
}

export interface Backpressure extends BackpressureSettings {
  /** Publish calls made: offeredRate × seconds at most; fewer when callers were held. */
  attempts: number;
  accepted: number;
  /** Accepted, but only after waiting at least WAITED_MS for room. */
  acceptedAfterWaiting: number;
  refused: number;
  otherErrors: number;
  handled: number;
  handledPerSec: number;
  maxDepthSeen: number;
  rssStartMb: number;
  rssMaxMb: number;
  rssEndMb: number;
  /** Highest RSS in each second, MB. */
  rssEachSecondMb: number[];
  heapStartMb: number;
  heapMaxMb: number;
  heapEndMb: number;
  /** Highest heap in use in each second, MB. */
  heapEachSecondMb: number[];
  /** What would be queued without any bound: publish calls made minus messages handled. */
  unboundedBacklog: number;
}

const WAITED_MS = 10;
/** Handlers at once; each takes 1000 × CONCURRENCY ÷ consumeRate ms, so the consumer's rate is consumeRate. */
const CONCURRENCY = 50;
const PUBLISHERS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function backpressure(settings: BackpressureSettings): Promise<Backpressure> {
  progress(
    `memory, ${settings.callers} callers: ${settings.offeredRate}/s offered for ` +
      `${settings.seconds} s to a consumer of ${settings.consumeRate}/s (maxDepth ` +
      `${settings.maxDepth}, maxPendingPublishes ${settings.maxPendingPublishes})`,
  );
  const handleMs = (1_000 * CONCURRENCY) / settings.consumeRate;
  const subject = busSubject(
    createMemoryTransport(new MemoryBroker({ maxDepth: settings.maxDepth })),
    'overload',
    {
      maxPendingPublishes: settings.maxPendingPublishes,
      publishTimeoutMs: settings.publishTimeoutMs,
      concurrency: CONCURRENCY,
      handle: async () => {
        await sleep(handleMs);
      },
    },
  );
  const counts = { accepted: 0, acceptedAfterWaiting: 0, refused: 0, otherErrors: 0, handled: 0 };
  let attempts = 0;
  const attempt = (): Promise<void> => {
    const calledAt = performance.now();
    const seq = attempts++;
    return subject.publish([payload(seq)]).then(
      () => {
        counts.accepted += 1;
        if (performance.now() - calledAt >= WAITED_MS) counts.acceptedAfterWaiting += 1;
      },
      (error: unknown) => {
        if (error instanceof BusBackpressureError) counts.refused += 1;
        else counts.otherErrors += 1;
      },
    );
  };
  let maxDepthSeen = 0;
  const rss = rssSampler(250);
  const depthWatch = setInterval(() => {
    void subject.depth().then((depth) => {
      maxDepthSeen = Math.max(maxDepthSeen, depth);
    });
  }, 100);
  let seconds = Number.NaN;
  try {
    await subject.consume(() => {
      counts.handled += 1;
    });
    const started = performance.now();
    const endAt = started + settings.seconds * 1_000;
    if (settings.callers === 'independent') {
      const calls: Promise<void>[] = [];
      const offered = Math.round(settings.offeredRate * settings.seconds);
      while (attempts < offered && performance.now() < endAt) {
        const due = (performance.now() - started) * (settings.offeredRate / 1_000);
        while (attempts < Math.min(offered, Math.floor(due) + 1)) calls.push(attempt());
        await sleep(1);
      }
      // Every call ends within its publish timeout (plus a last retry's wait).
      await Promise.all(calls);
    } else {
      const intervalMs = (PUBLISHERS * 1_000) / settings.offeredRate;
      await Promise.all(
        Array.from({ length: PUBLISHERS }, async (_, p) => {
          for (let k = 0; ; k++) {
            const slot = started + (k + p / PUBLISHERS) * intervalMs;
            // Behind its slots (it waited): it tries again at once, until the time is up.
            if (slot >= endAt || performance.now() >= endAt) return;
            const early = slot - performance.now();
            if (early > 0) await sleep(early);
            await attempt();
          }
        }),
      );
    }
    seconds = (performance.now() - started) / 1_000;
  } finally {
    clearInterval(depthWatch);
    await subject.close();
  }
  const memory = rss.stop();
  // A second without a sample (the event loop was held that long) shows as 0.
  const eachSecond = (pick: (s: (typeof memory.samples)[number]) => number) => {
    const highest: number[] = [];
    for (const sample of memory.samples) {
      const second = Math.floor(sample.atMs / 1_000);
      highest[second] = Math.max(highest[second] ?? 0, pick(sample));
    }
    return Array.from(highest, (mb) => Math.round(mb ?? 0));
  };
  return {
    ...settings,
    attempts,
    ...counts,
    handledPerSec: counts.handled / seconds,
    maxDepthSeen,
    rssStartMb: memory.startMb,
    rssMaxMb: memory.peakMb,
    rssEndMb: memory.endMb,
    rssEachSecondMb: eachSecond((sample) => sample.mb),
    heapStartMb: memory.heapStartMb,
    heapMaxMb: memory.heapPeakMb,
    heapEndMb: memory.heapEndMb,
    heapEachSecondMb: eachSecond((sample) => sample.heapMb),
    unboundedBacklog: attempts - counts.handled,
  };
}
