/**
 * The history phase of `npm run bench:a2a`: GetTask and ListTasks latency on a small store,
 * then again after many more tasks were stored, on the same store. Cost must not grow with
 * history: every lookup is an index probe, and ListTasks' total comes from kept counts.
 *
 * 1. A fresh store; the gateway creates `baseTasks` tasks over HTTP, then restarts, so no
 *    task is cached when the probes run.
 * 2. Probes, one call at a time: GetTask of tasks never read since the start (each once),
 *    ListTasks (page of 50), ListTasks filtered by status (COMPLETED).
 * 3. The gateway stops; a seeder appends `tasks` completed tasks through the store API.
 * 4. The gateway starts; its task-view projector folds the new events in. Timed until
 *    /healthz answers and until ListTasks counts every task (bounded by `catchUpLimitS`).
 *    ListTasks is asked back to back: each call waits for the view, and a waiting reader
 *    hurries the projector (without one it pauses up to 50 ms between batches).
 * 5. The same probes, on seeded tasks. The newest page of ListTasks holds the same tasks as
 *    in step 2 (seeded tasks are an hour older), so only the size of the store differs.
 */
import type { HistoryLatency } from './a2a-load.js';
import {
  type GatewayName,
  runLoad,
  runSeed,
  type Session,
  startTarget,
  type Target,
} from './a2a-targets.js';
import { rssMb, stop } from './pinned-process.js';
import { progress, round } from './report.js';

export interface HistoryOptions {
  /** Tasks the seeder stores (BENCH_HISTORY_TASKS). */
  tasks: number;
  /** Probes of each kind (BENCH_HISTORY_REQUESTS). */
  requests: number;
  /** Seconds the gateway gets to fold the seeded tasks into its view (BENCH_CATCHUP_LIMIT). */
  catchUpLimitS: number;
  concurrency: number;
}

export interface HistoryFigures {
  /** Tasks created over HTTP first: the small store. */
  baseTasks: number;
  seededTasks: number;
  seedSeconds: number;
  small: HistoryLatency;
  /** From the restart on the seeded store until /healthz answered; null: not within the limit. */
  readySeconds: number | null;
  /** From the restart until ListTasks counted every task; null: not within the limit. */
  catchUpSeconds: number | null;
  /** What ListTasks counted last (of baseTasks + seededTasks). */
  countedTasks: number;
  /** RSS of the gateway on the small store, idle after its probes: the base of per-task memory. */
  rssSmallMb: number;
  /** RSS of the caught-up gateway, idle, with every task in its view. */
  rssAfterCatchUpMb: number | null;
  /** The probes on the seeded store; null when the gateway did not catch up in time. */
  large: HistoryLatency | null;
}

const BASE_TASKS = 500;
// GetTask probes warm the server's code on these many other tasks first.
const WARM_IDS = 20;

export async function historyPhase(
  target: Target & { name: GatewayName },
  options: HistoryOptions,
): Promise<HistoryFigures> {
  const store = await target.freshStore();
  const { concurrency, requests } = options;
  const base = { seconds: 0, concurrency };

  progress(`${target.column}: history: ${BASE_TASKS} tasks over HTTP on a fresh store`);
  let session = await startTarget(target, store.env);
  const created = await stopAfter(session, () =>
    runLoad(session, { ...base, steps: ['create'], create: BASE_TASKS }),
  );
  const ids = created.created ?? [];
  const probes = (sample: string[], lists: number) => ({
    ...base,
    steps: ['history' as const],
    history: {
      ids: sample.slice(0, requests),
      warmIds: sample.slice(requests, requests + WARM_IDS),
      requests: lists,
    },
  });
  session = await startTarget(target, store.env);
  progress(`${target.column}: history: probes on ${ids.length} tasks (restarted: nothing cached)`);
  const { small, rssSmallMb } = await stopAfter(session, async () => {
    const probed = (await runLoad(session, probes(ids, requests))).history!;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return { small: probed, rssSmallMb: await rssMb(session.server.pid) };
  });

  progress(`${target.column}: history: seeding ${options.tasks} tasks through the store API`);
  const seeded = await runSeed(store.seed!, options.tasks, requests + WARM_IDS);
  progress(`${target.column}: history: seeded in ${round(seeded.seconds, 1)} s; restarting`);

  const expected = ids.length + options.tasks;
  const limitMs = options.catchUpLimitS * 1_000;
  const started = performance.now();
  const since = () => (performance.now() - started) / 1_000;
  const figures = {
    baseTasks: ids.length,
    seededTasks: options.tasks,
    seedSeconds: seeded.seconds,
    small,
    rssSmallMb,
  };
  try {
    session = await startTarget(target, store.env, limitMs);
  } catch (error) {
    progress(`${target.column}: history: not ready in ${options.catchUpLimitS} s: ${error}`);
    const late = { readySeconds: null, catchUpSeconds: null, countedTasks: 0 };
    return { ...figures, ...late, rssAfterCatchUpMb: null, large: null };
  }
  const readySeconds = since();
  return stopAfter(session, async () => {
    const countedTasks = await countUntil(session, expected, started + limitMs);
    const caughtUp = countedTasks >= expected;
    const catchUpSeconds = caughtUp ? since() : null;
    progress(
      caughtUp
        ? `${target.column}: history: ready after ${round(readySeconds, 1)} s, every task counted after ${round(catchUpSeconds!, 1)} s`
        : `${target.column}: history: ${countedTasks} of ${expected} tasks counted after ${options.catchUpLimitS} s: probes skipped`,
    );
    if (!caughtUp) {
      return {
        ...figures,
        readySeconds,
        catchUpSeconds,
        countedTasks,
        rssAfterCatchUpMb: null,
        large: null,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rssAfterCatchUpMb = await rssMb(session.server.pid);
    const large = (await runLoad(session, probes(seeded.sample, requests))).history!;
    return { ...figures, readySeconds, catchUpSeconds, countedTasks, rssAfterCatchUpMb, large };
  });
}

async function stopAfter<T>(session: Session, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await stop(session.server);
  }
}

/**
 * ListTasks' totalSize, asked back to back until it reaches `expected` or `deadline` passes.
 * Each call waits (bounded) for the task view to catch up, as any ListTasks does.
 */
async function countUntil(session: Session, expected: number, deadline: number): Promise<number> {
  let counted = 0;
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'ListTasks',
    params: { pageSize: 1 },
  });
  const headers = { 'Content-Type': 'application/json', 'A2A-Version': '1.0' };
  while (counted < expected && performance.now() < deadline) {
    const left = Math.max(1, deadline - performance.now());
    const reply = await fetch(session.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(Math.ceil(Math.min(left, 30_000))),
    })
      .then((response) => response.json() as Promise<{ result?: { totalSize?: number } }>)
      .catch(() => undefined);
    counted = Math.max(counted, reply?.result?.totalSize ?? 0);
    if (!reply) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return counted;
}
