/**
 * The load generator of `npm run bench:a2a`: closed loops that keep a fixed number of checked
 * calls in flight, sequential latency probes, and idle streams, run as steps of a `--load`
 * process the driver pins to core 1. It prints one JSON line of figures.
 */
import {
  getTask,
  inputRequiredTask,
  listTasks,
  openIdleStream,
  REQUEST_TIMEOUT_MS,
  sendMessage,
  sendWithEveryRequest,
  socketPool,
  streamMessage,
} from './a2a-client.js';
import { cpuSeconds, rssMb, steadyRssMb } from './pinned-process.js';
import { percentile, progress } from './report.js';

const WARM_UP_SECONDS = 2;
// The slow agent's command: it waits this long, then answers as a plain echo.
export const DELAY_MS = 20;

/** One measured window of one operation. */
export interface Measure {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  errors: number;
  firstError?: string;
  /** CPU the server process used, in % of one core: 100 means core 0 was the limit. */
  serverCpuPct: number;
  /** The same for the load generator: near 100, the figures are the client's limit. */
  loadCpuPct: number;
  /** Everything else on the machine (of 200): other work sharing the cores, or a local DB. */
  otherCpuPct: number;
  /** Highest resident memory of the server seen during the window (sampled every 100 ms). */
  serverPeakRssMb: number;
}

/** Latencies of calls made one at a time. */
export interface Latency {
  p50Ms: number;
  p99Ms: number;
  ok: number;
  errors: number;
  firstError?: string;
}

export type Step = 'idle-streams' | 'send' | 'stream' | 'get' | 'delay' | 'create' | 'history';

/** What one load process does, in order: the driver's side of the command line. */
export interface LoadSpec {
  url: string;
  serverPid: number;
  seconds: number;
  concurrency: number;
  steps: Step[];
  /** SubscribeToTask streams `idle-streams` opens on one input-required task. */
  idleStreams?: number;
  /** Calls in flight for `delay`. */
  delayConcurrency?: number;
  /** Tasks `create` makes (blocking SendMessage) and returns the ids of. */
  create?: number;
  /** `history`: GetTask of each of `ids` once, and `requests` ListTasks of each kind. */
  history?: { ids: string[]; warmIds: string[]; requests: number };
  /** Sent with every request, e.g. `{ Authorization: 'Bearer …' }` for a gateway with auth on. */
  headers?: Record<string, string>;
}

export interface IdleStreams {
  streams: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  perStreamKb: number;
}

export interface HistoryLatency {
  getTask: Latency;
  listTasks: Latency;
  listTasksByStatus: Latency;
  totalSize: number;
}

/** What `--load` prints as its last line: one entry per step it ran. */
export interface LoadResult {
  idleStreams?: IdleStreams;
  send?: Measure;
  stream?: Measure;
  get?: Measure & { pool: number };
  delay?: Measure;
  created?: string[];
  history?: HistoryLatency;
}

/** Samples the server's RSS every 100 ms until stopped; returns the highest seen. */
function rssPeak(pid: number): () => Promise<number> {
  let peak = 0;
  const sample = () =>
    rssMb(pid).then(
      (mb) => {
        peak = Math.max(peak, mb);
      },
      () => {},
    );
  void sample();
  const timer = setInterval(sample, 100);
  return async () => {
    clearInterval(timer);
    await sample();
    return peak;
  };
}

/** Keeps `concurrency` operations in flight for `seconds` (closed loop). */
async function measure(
  operation: () => Promise<unknown>,
  seconds: number,
  concurrency: number,
  serverPid: number,
): Promise<Measure> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const cpuBefore = [await cpuSeconds(serverPid), await cpuSeconds(), process.cpuUsage()] as const;
  const peak = rssPeak(serverPid);
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const at = performance.now();
        try {
          await operation();
          latencies.push(performance.now() - at);
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  // Until the last operation in flight ends, so every one counted lies inside the window.
  const elapsed = (performance.now() - started) / 1_000;
  const { user, system } = process.cpuUsage(cpuBefore[2]);
  const load = (user + system) / 1e6;
  const server = (await cpuSeconds(serverPid)) - cpuBefore[0];
  const machine = (await cpuSeconds()) - cpuBefore[1];
  return {
    perSec: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ok: latencies.length,
    errors,
    ...(firstError ? { firstError } : {}),
    serverCpuPct: (server / elapsed) * 100,
    loadCpuPct: (load / elapsed) * 100,
    otherCpuPct: (Math.max(0, machine - server - load) / elapsed) * 100,
    serverPeakRssMb: await peak(),
  };
}

/** A warm-up window, then the measured one. */
async function warmThenMeasure(
  name: string,
  operation: () => Promise<unknown>,
  spec: LoadSpec,
  concurrency: number,
): Promise<Measure> {
  await measure(operation, WARM_UP_SECONDS, concurrency, spec.serverPid);
  progress(`${name}: ${spec.seconds} s, ${concurrency} in flight`);
  return measure(operation, spec.seconds, concurrency, spec.serverPid);
}

/** Each call once, one at a time. */
async function sequential(calls: (() => Promise<unknown>)[]): Promise<Latency> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (const call of calls) {
    const at = performance.now();
    try {
      await call();
      latencies.push(performance.now() - at);
    } catch (error) {
      errors += 1;
      firstError ??= error instanceof Error ? error.message : String(error);
    }
  }
  const p50Ms = percentile(latencies, 50);
  const p99Ms = percentile(latencies, 99);
  return { p50Ms, p99Ms, ok: latencies.length, errors, ...(firstError ? { firstError } : {}) };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** N SubscribeToTask streams idling on one input-required task: the server's RSS per stream. */
async function idleStreams(spec: LoadSpec, count: number): Promise<IdleStreams> {
  const pool = socketPool(count);
  const id = await inputRequiredTask(spec.url, pool);
  await pause(1_000);
  const rssBeforeMb = await steadyRssMb(spec.serverPid);
  progress(`idle streams: opening ${count} SubscribeToTask streams on one input-required task`);
  const closers: (() => void)[] = [];
  try {
    // A hundred at a time: the listen backlog stays short of overflowing.
    for (let opened = 0; opened < count; opened += 100) {
      const batch = Math.min(100, count - opened);
      const open = Array.from({ length: batch }, () => openIdleStream(spec.url, pool, id));
      closers.push(...(await Promise.all(open)));
    }
    await pause(2_000);
    const rssAfterMb = await steadyRssMb(spec.serverPid);
    const perStreamKb = ((rssAfterMb - rssBeforeMb) * 1024) / count;
    return { streams: count, rssBeforeMb, rssAfterMb, perStreamKb };
  } finally {
    for (const close of closers) close();
    pool.destroy();
    await pause(1_000);
  }
}

/** Up to `size` ids spread evenly over `ids`. */
function spread(ids: string[], size: number): string[] {
  if (ids.length <= size) return ids;
  return Array.from({ length: size }, (_, i) => ids[Math.floor((i * ids.length) / size)]!);
}

const GET_POOL = 1_000;

async function history(spec: LoadSpec): Promise<HistoryLatency> {
  const { ids, warmIds, requests } = spec.history!;
  const pool = socketPool(1);
  const list = (status?: string) => () =>
    listTasks(spec.url, pool, { pageSize: 50, ...(status ? { status } : {}) });
  // Warm the server's code paths on tasks outside the measured ones: those stay uncached.
  for (const id of warmIds) await getTask(spec.url, pool, id);
  for (let i = 0; i < 10; i++) await list()();
  const totalSize = await list()();
  return {
    getTask: await sequential(ids.map((id) => () => getTask(spec.url, pool, id))),
    listTasks: await sequential(Array.from({ length: requests }, () => list())),
    listTasksByStatus: await sequential(
      Array.from({ length: requests }, () => list('TASK_STATE_COMPLETED')),
    ),
    totalSize,
  };
}

/**
 * How long a load process may run before the driver gives up on it: warm-up and window of
 * every closed loop, a minute for everything else, and one late answer per window.
 */
export function loadBudgetMs(spec: LoadSpec): number {
  const loops = spec.steps.filter((step) => ['send', 'stream', 'get', 'delay'].includes(step));
  return (
    (loops.length * (WARM_UP_SECONDS + spec.seconds) + 60) * 1_000 +
    loops.length * REQUEST_TIMEOUT_MS +
    (spec.steps.includes('history') ? 120_000 : 0)
  );
}

/**
 * `--load <spec json>`: the load generator, run by the driver as its own process under
 * `taskset -c 1` rather than pinning the driver itself. A fresh process per server gives every
 * server the same cold client (no JIT state or sockets carried over), and the driver stays
 * free to watch the server and kill a load that outlives it.
 */
export async function loadMain(spec: LoadSpec): Promise<LoadResult> {
  const result: LoadResult = {};
  sendWithEveryRequest(spec.headers ?? {});
  const pool = socketPool(spec.concurrency);
  const created: string[] = [];
  for (const step of spec.steps) {
    switch (step) {
      case 'idle-streams':
        result.idleStreams = await idleStreams(spec, spec.idleStreams ?? 1_000);
        break;
      case 'send': {
        const send = () => sendMessage(spec.url, pool).then((id) => created.push(id));
        result.send = await warmThenMeasure('SendMessage', send, spec, spec.concurrency);
        break;
      }
      case 'stream': {
        const stream = () => streamMessage(spec.url, pool);
        result.stream = await warmThenMeasure(
          'SendStreamingMessage',
          stream,
          spec,
          spec.concurrency,
        );
        break;
      }
      case 'get': {
        // Tasks the SendMessage step created (all completed), in turn.
        const ids = spread(created, GET_POOL);
        if (ids.length === 0) throw new Error('GetTask needs the tasks of the SendMessage step');
        let next = 0;
        const get = () => getTask(spec.url, pool, ids[next++ % ids.length]!);
        result.get = {
          ...(await warmThenMeasure('GetTask', get, spec, spec.concurrency)),
          pool: ids.length,
        };
        break;
      }
      case 'delay': {
        const concurrency = spec.delayConcurrency ?? 256;
        const wide = socketPool(concurrency);
        let n = 0;
        const delayed = () => {
          const text = `late ${process.pid}-${++n}`;
          return sendMessage(spec.url, wide, `/delay ${DELAY_MS} ${text}`, text);
        };
        const name = `SendMessage /delay ${DELAY_MS}`;
        result.delay = await warmThenMeasure(name, delayed, spec, concurrency);
        wide.destroy();
        break;
      }
      case 'create': {
        const count = spec.create ?? 0;
        const ids: string[] = [];
        let left = count;
        await Promise.all(
          Array.from({ length: spec.concurrency }, async () => {
            while (left-- > 0) ids.push(await sendMessage(spec.url, pool));
          }),
        );
        result.created = ids;
        break;
      }
      case 'history':
        result.history = await history(spec);
        break;
      default: {
        const unknown: never = step;
        throw new Error(`unknown load step ${unknown}`);
      }
    }
  }
  pool.destroy();
  return result;
}
