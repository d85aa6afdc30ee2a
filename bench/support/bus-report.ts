/**
 * The output of `bench:bus`: tables for a person, then as the last line one JSON object with
 * every figure (rounded) for a machine.
 */
import type { Adapter } from './bus-adapters.js';
import type { Backpressure } from './bus-backpressure.js';
import type { Burst } from './bus-burst.js';
import { BATCH_SIZE, BATCHES_IN_FLIGHT, type Comparison, SINGLE_IN_FLIGHT } from './bus-compare.js';
import { round, table } from './report.js';

export const TARGETS = { sustainedPerSec: 10_000, burstMessages: 100_000 };

export interface BusBenchResults {
  settings: Record<string, unknown>;
  compared: Partial<Record<Adapter['name'], Comparison>>;
  bursts: Partial<Record<Adapter['name'], Burst>>;
  /** Adapters whose burst was not run, and why. */
  burstSkipped: Partial<Record<Adapter['name'], string>>;
  backpressure: Backpressure[];
  skipped: Partial<Record<Adapter['name'], string>>;
  wallSeconds: number;
}

const ratio = (bus?: number, reference?: number) =>
  bus === undefined || reference === undefined ? undefined : bus / reference;

/** One adapter's figures, flat: what the table shows and the JSON holds. */
function flat(c: Comparison) {
  return {
    n: c.n,
    singleBusMessages: c.single.bus?.messages,
    singleReferenceMessages: c.single.reference?.messages,
    batchBusMessages: c.batch.bus?.messages,
    batchReferenceMessages: c.batch.reference?.messages,
    singleBusPerSec: c.single.bus?.perSec,
    singleReferencePerSec: c.single.reference?.perSec,
    singleRatio: ratio(c.single.bus?.perSec, c.single.reference?.perSec),
    singleBusPublishPerSec: c.single.bus?.publishPerSec,
    singleReferencePublishPerSec: c.single.reference?.publishPerSec,
    batchBusPerSec: c.batch.bus?.perSec,
    batchReferencePerSec: c.batch.reference?.perSec,
    batchRatio: ratio(c.batch.bus?.perSec, c.batch.reference?.perSec),
    batchBusPublishPerSec: c.batch.bus?.publishPerSec,
    batchReferencePublishPerSec: c.batch.reference?.publishPerSec,
    latencyRatePerSec: c.latency.ratePerSec,
    latencyCount: c.latency.count,
    busP50Ms: c.latency.bus?.p50Ms,
    busP99Ms: c.latency.bus?.p99Ms,
    referenceP50Ms: c.latency.reference?.p50Ms,
    referenceP99Ms: c.latency.reference?.p99Ms,
  };
}
type Flat = ReturnType<typeof flat>;

const ROWS: [string, keyof Flat, number][] = [
  ['messages, single publishes: bus', 'singleBusMessages', 0],
  ['messages, single publishes: reference', 'singleReferenceMessages', 0],
  [`msgs/s bus, single publishes (${SINGLE_IN_FLIGHT} in flight)`, 'singleBusPerSec', 0],
  ['msgs/s reference, single publishes', 'singleReferencePerSec', 0],
  ['  single: bus / reference', 'singleRatio', 2],
  ['messages, batches: bus', 'batchBusMessages', 0],
  ['messages, batches: reference', 'batchReferenceMessages', 0],
  [`msgs/s bus, batches of ${BATCH_SIZE} (${BATCHES_IN_FLIGHT} in flight)`, 'batchBusPerSec', 0],
  ['msgs/s reference, batches', 'batchReferencePerSec', 0],
  ['  batch: bus / reference', 'batchRatio', 2],
  ['latency: single publishes per second', 'latencyRatePerSec', 0],
  ['latency p50 ms bus (publish to handler)', 'busP50Ms', 2],
  ['latency p50 ms reference', 'referenceP50Ms', 2],
  ['latency p99 ms bus', 'busP99Ms', 2],
  ['latency p99 ms reference', 'referenceP99Ms', 2],
];

function roundAll<T extends object>(figures: T, digits = 2): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(figures).map(([key, value]) => [
      key,
      typeof value === 'number' ? round(value, digits) : value,
    ]),
  );
}

const show = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? '-' : round(value, digits);

export function report(results: BusBenchResults): void {
  const names = Object.keys(results.compared) as Adapter['name'][];
  const flats = Object.fromEntries(names.map((name) => [name, flat(results.compared[name]!)]));
  const out: string[] = [];
  if (names.length > 0) {
    out.push(
      'Throughput: messages published (up to N, or what the publishers got through in ' +
        `${results.settings.publishSeconds} s) to a consumer of concurrency 64; msgs/s = messages ÷ ` +
        'time from the first publish to the last handled. Latency: single publishes at a steady ' +
        'rate, from the publish call to the handler start.',
      table(
        ['measure', ...names],
        ROWS.map(([label, key, digits]) => [
          label,
          ...names.map((name) => show(flats[name]![key], digits)),
        ]),
      ),
    );
  }
  const bursts = Object.entries(results.bursts) as [string, Burst][];
  if (bursts.length > 0) {
    out.push(
      '',
      'Burst: the messages in batches of 100, as fast as the bus takes them; RSS and heap in use of this process.',
      table(
        [
          'adapter',
          'messages',
          'published s',
          'consumed s',
          'msgs/s',
          'RSS before',
          'peak',
          'after MB',
          'heap before',
          'peak',
          'after MB',
        ],
        bursts.map(([name, b]) => [
          name,
          b.messages,
          round(b.publishSeconds, 2),
          round(b.consumedSeconds, 2),
          round(b.perSec),
          round(b.rssBeforeMb),
          round(b.rssPeakMb),
          round(b.rssAfterMb),
          round(b.heapBeforeMb),
          round(b.heapPeakMb),
          round(b.heapAfterMb),
        ]),
      ),
    );
  }
  const targets = targetStanding(results);
  if (Object.keys(targets).length > 0) {
    out.push(
      '',
      `Seed targets: ${TARGETS.sustainedPerSec} msgs/s sustained, ${TARGETS.burstMessages} in a burst.`,
    );
    for (const [name, t] of Object.entries(targets)) out.push(`  ${name}: ${t.text}`);
  }
  for (const bp of results.backpressure) {
    out.push(
      '',
      `Backpressure, ${bp.callers} callers (memory broker maxDepth ${bp.maxDepth}, ` +
        `maxPendingPublishes ${bp.maxPendingPublishes}, publishTimeoutMs ${bp.publishTimeoutMs}): ` +
        `${bp.offeredRate}/s offered for ${bp.seconds} s to a consumer of ${bp.consumeRate}/s`,
      `  ${bp.attempts} publish calls: accepted ${bp.accepted} (${bp.acceptedAfterWaiting} after ` +
        `waiting >= 10 ms), refused with BusBackpressureError ${bp.refused}, other errors ` +
        `${bp.otherErrors}; handled ${bp.handled} (${round(bp.handledPerSec)}/s); deepest queue ` +
        `seen ${bp.maxDepthSeen}`,
      `  RSS MB start ${round(bp.rssStartMb)}, max ${round(bp.rssMaxMb)}, end ${round(bp.rssEndMb)}; ` +
        `highest each second: ${bp.rssEachSecondMb.join(' ')}`,
      `  heap in use MB start ${round(bp.heapStartMb)}, max ${round(bp.heapMaxMb)}, end ` +
        `${round(bp.heapEndMb)}; highest each second: ${bp.heapEachSecondMb.join(' ')}`,
      `  (0 in a second: no sample, the event loop was held all of it); without bounds ` +
        `${bp.unboundedBacklog} messages would be queued`,
    );
  }
  const notes = [
    ...Object.entries(results.skipped).map(([name, why]) => `${name}: skipped, ${why}`),
    ...names.flatMap((name) => results.compared[name]!.failures.map((f) => `${name}: FAILED ${f}`)),
  ];
  if (notes.length > 0) out.push('', ...notes);
  out.push('', `bench:bus took ${round(results.wallSeconds)} s`);
  console.log(out.join('\n'));
  console.log(
    JSON.stringify({
      settings: results.settings,
      adapters: Object.fromEntries(
        names.map((name) => [
          name,
          { ...roundAll(flats[name]!), failures: results.compared[name]!.failures },
        ]),
      ),
      bursts: Object.fromEntries(bursts.map(([name, b]) => [name, roundAll(b)])),
      burstSkipped: results.burstSkipped,
      targets: {
        ...TARGETS,
        ...Object.fromEntries(
          Object.entries(targets).map(([name, t]) => [name, roundAll(t.figures)]),
        ),
      },
      backpressure: Object.fromEntries(
        results.backpressure.map((bp) => [bp.callers, roundAll(bp)]),
      ),
      skipped: results.skipped,
      wallSeconds: round(results.wallSeconds, 1),
    }),
  );
}

/** Where each adapter stands against the seed's targets. */
function targetStanding(results: BusBenchResults) {
  const standing: Record<
    string,
    {
      text: string;
      figures: { sustainedPerSec?: number; meetsSustained?: boolean; burstSeconds?: number };
    }
  > = {};
  const names = new Set([...Object.keys(results.compared), ...Object.keys(results.bursts)]) as Set<
    Adapter['name']
  >;
  for (const name of names) {
    const c = results.compared[name];
    const batched = c?.batch.bus?.perSec ?? 0;
    const best = Math.max(c?.single.bus?.perSec ?? 0, batched);
    const burst = results.bursts[name];
    const meets = best >= TARGETS.sustainedPerSec;
    const parts = [
      best > 0
        ? `${round(best)} msgs/s (${best === batched ? 'batched' : 'single'}), ` +
          `${round(best / TARGETS.sustainedPerSec, 2)}× the sustained target: ` +
          (meets ? 'meets it' : 'below it')
        : 'no throughput figure',
      burst
        ? `burst of ${burst.messages} consumed in ${round(burst.consumedSeconds, 1)} s ` +
          `(${round(burst.perSec)} msgs/s)`
        : `burst not run (${results.burstSkipped[name] ?? 'phase off'})`,
    ];
    standing[name] = {
      text: parts.join('; '),
      figures: {
        ...(best > 0 ? { sustainedPerSec: best, meetsSustained: meets } : {}),
        ...(burst ? { burstSeconds: burst.consumedSeconds } : {}),
      },
    };
  }
  return standing;
}
