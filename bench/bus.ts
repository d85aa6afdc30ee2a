/**
 * `npm run bench:bus`: the message bus on every adapter available in this run, each beside
 * its service's native client doing the bare queue operations (the reference), measured in
 * the same run. Tables first; the last line printed is one JSON object with every figure.
 *
 * Adapters: memory; database on embedded PGlite (a temp folder, removed after); PostgreSQL
 * (DATABASE_URL), Redis (REDIS_URL), NATS JetStream (NATS_URL), RabbitMQ (AMQP_URL, when the
 * build has the adapter). Each works in a namespace of its own (schema, key prefix, stream or
 * queue prefix) removed at the end, interrupted or not.
 *
 * Phases (BENCH_BUS_PHASES, comma-separated; all by default):
 * - compare: per adapter, throughput of N single publishes (64 in flight) and of N in
 *   `publishBatch`es of 100 (fewer when publishing them takes over BENCH_BUS_SECONDS),
 *   first publish to last handled, then latency (publish call to handler start) at
 *   BENCH_BUS_RATE (or half the slower single-publish rate, if lower) for
 *   BENCH_BUS_LATENCY_SECONDS; each through the bus, then the reference, and bus ÷ reference.
 * - burst: BENCH_BUS_BURST messages (100,000, the seed target) batched into memory and every
 *   adapter whose batched rate in `compare` projects the burst within BENCH_BUS_BURST_BUDGET
 *   seconds (the fastest service in any case; without `compare`, every adapter chosen): time
 *   until all are handled, RSS and heap before, at peak and after.
 * - backpressure: 10× overload of a bounded memory broker for BENCH_BUS_OVERLOAD_SECONDS, by
 *   publishers that wait for each publish, then by independent calls on the clock.
 *
 * Env: BENCH_BUS_N (20000: messages per throughput measure on the fast adapters; the slower
 * ones take a fixed share of it), BENCH_BUS_SECONDS (5), BENCH_BUS_ADAPTERS (memory,pglite,postgres,redis,nats,amqp),
 * BENCH_BUS_PHASES (compare,burst,backpressure), BENCH_BUS_RATE (500), BENCH_BUS_LATENCY_SECONDS
 * (3), BENCH_BUS_BURST (100000), BENCH_BUS_BURST_BUDGET (30), BENCH_BUS_OVERLOAD_SECONDS (10).
 */
import { type Adapter, type AdapterRun, adapters } from './support/bus-adapters.js';
import { backpressure } from './support/bus-backpressure.js';
import { burst } from './support/bus-burst.js';
import { type Comparison, compare } from './support/bus-compare.js';
import { type BusBenchResults, report } from './support/bus-report.js';
import { progress } from './support/report.js';

const number = (name: string, fallback: number) => Number(process.env[name] || fallback);
const list = (name: string) =>
  process.env[name] ? process.env[name].split(',').map((item) => item.trim()) : undefined;

const SETTINGS = {
  n: number('BENCH_BUS_N', 20_000),
  adapters: list('BENCH_BUS_ADAPTERS'),
  phases: list('BENCH_BUS_PHASES') ?? ['compare', 'burst', 'backpressure'],
  publishSeconds: number('BENCH_BUS_SECONDS', 5),
  ratePerSec: number('BENCH_BUS_RATE', 500),
  latencySeconds: number('BENCH_BUS_LATENCY_SECONDS', 3),
  burstMessages: number('BENCH_BUS_BURST', 100_000),
  burstBudgetSeconds: number('BENCH_BUS_BURST_BUDGET', 30),
  overloadSeconds: number('BENCH_BUS_OVERLOAD_SECONDS', 10),
};
const has = (phase: string) => SETTINGS.phases.includes(phase);

/** What is open now, so an interrupt can still remove it. */
let current: AdapterRun | undefined;

async function withRun<T>(adapter: Adapter, work: (run: AdapterRun) => Promise<T>): Promise<T> {
  const run = await adapter.open();
  current = run;
  try {
    return await work(run);
  } finally {
    current = undefined;
    await run.cleanup().catch((error: unknown) => {
      progress(`${adapter.name}: cleanup failed: ${String(error)}`);
      process.exitCode = 1;
    });
  }
}

/** Projected burst seconds from the batched rate measured in `compare`. */
function projectedBurst(c: Comparison | undefined): number {
  const rate = c?.batch.bus?.perSec;
  return rate ? SETTINGS.burstMessages / rate : Number.POSITIVE_INFINITY;
}

async function main(): Promise<void> {
  const started = performance.now();
  const unknown = SETTINGS.phases.filter((p) => !['compare', 'burst', 'backpressure'].includes(p));
  if (unknown.length > 0) throw new Error(`unknown BENCH_BUS_PHASES: ${unknown.join(', ')}`);
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.once(name, async () => {
      await current?.cleanup().catch(() => {});
      process.exit(130);
    });
  }
  const chosen = adapters(SETTINGS.adapters);
  const results: BusBenchResults = {
    settings: { ...SETTINGS, adapters: chosen.map((a) => a.name) },
    compared: {},
    bursts: {},
    burstSkipped: {},
    backpressure: [],
    skipped: {},
    wallSeconds: 0,
  };
  const runnable = chosen.filter((adapter) => {
    if (adapter.skipped) {
      results.skipped[adapter.name] = adapter.skipped;
      progress(`${adapter.name}: skipped, ${adapter.skipped}`);
    }
    return !adapter.skipped;
  });
  const burstOf = async (adapter: Adapter, run: AdapterRun) => {
    try {
      results.bursts[adapter.name] = await burst(adapter.name, run, SETTINGS.burstMessages);
    } catch (error) {
      results.burstSkipped[adapter.name] = `failed: ${(error as Error).message}`;
    }
  };
  const wantsBurst = (adapter: Adapter) =>
    has('burst') &&
    (adapter.name === 'memory' ||
      !has('compare') ||
      projectedBurst(results.compared[adapter.name]) <= SETTINGS.burstBudgetSeconds);

  for (const adapter of runnable) {
    await withRun(adapter, async (run) => {
      if (has('compare')) {
        results.compared[adapter.name] = await compare(adapter.name, run, {
          n: Math.max(1_000, Math.round(SETTINGS.n * adapter.scale)),
          publishMs: SETTINGS.publishSeconds * 1_000,
          ratePerSec: SETTINGS.ratePerSec,
          latencySeconds: SETTINGS.latencySeconds,
        });
      }
      if (wantsBurst(adapter)) await burstOf(adapter, run);
      else if (has('burst')) {
        const projected = projectedBurst(results.compared[adapter.name]);
        results.burstSkipped[adapter.name] =
          `projected ${Number.isFinite(projected) ? Math.round(projected) : '∞'} s at its batched rate, ` +
          `over the ${SETTINGS.burstBudgetSeconds} s budget`;
      }
    });
  }

  // The seed asks for a service's burst too, not memory's alone: the fastest, if none was
  // within budget.
  const services = runnable.filter((a) => a.name !== 'memory');
  if (has('burst') && services.length > 0 && !services.some((a) => results.bursts[a.name])) {
    const fastest = [...services].sort(
      (a, b) => projectedBurst(results.compared[a.name]) - projectedBurst(results.compared[b.name]),
    )[0]!;
    progress(`${fastest.name}: the fastest service, its burst over budget but run anyway`);
    delete results.burstSkipped[fastest.name];
    await withRun(fastest, (run) => burstOf(fastest, run));
  }

  if (has('backpressure')) {
    for (const callers of ['waiting', 'independent'] as const) {
      results.backpressure.push(
        await backpressure({
          callers,
          seconds: SETTINGS.overloadSeconds,
          consumeRate: 1_000,
          offeredRate: 10_000,
          maxDepth: 2_000,
          maxPendingPublishes: 500,
          publishTimeoutMs: 1_000,
        }),
      );
    }
  }
  results.wallSeconds = (performance.now() - started) / 1_000;
  report(results);
}

try {
  await main();
} catch (error) {
  console.error(`bench:bus failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
}
