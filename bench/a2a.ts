/**
 * `npm run bench:a2a`: the gateway's echo agent on PGlite and PostgreSQL beside a reference
 * measured in the same run, the in-memory @a2a-js/sdk server with the same echo agent
 * (`bench/reference/sdk-echo-server.ts`). Both run built code under plain node: the gateway
 * `dist/main.js` (`npm run build` first), the reference compiled by tsc (see a2a-targets.ts).
 * Each server is a child pinned to core 0; the load runs pinned to core 1. The last line
 * printed is one JSON object with every figure.
 *
 * Phases (BENCH_PHASES, comma-separated; all by default):
 * - throughput: SendMessage, SendStreamingMessage, then GetTask of tasks SendMessage created,
 *   each a closed loop of BENCH_CONCURRENCY calls for BENCH_SECONDS; req/s, p50, p99, ratios.
 * - delay: blocking SendMessage `/delay 20 TEXT` (an agent that takes 20 ms) with
 *   BENCH_DELAY_CONCURRENCY in flight: p50, p99 and what the server adds over the 20 ms.
 * - memory: RSS idle after start and at its peak under load, RSS per idle SubscribeToTask
 *   stream (BENCH_IDLE_STREAMS of them), and the floors: bare node, bare PGlite.
 * - history (gateways): GetTask and ListTasks latency on a small store and after
 *   BENCH_HISTORY_TASKS more are seeded through the store API (support/history.ts).
 * - auth (gateways): SendMessage and GetTask as in throughput on two gateways side by side,
 *   auth off and bearer-JWT auth on, in BENCH_AUTH_ROUNDS rounds each (off, on, on, off, …):
 *   each mode's best req/s and on ÷ off (support/auth-cost.ts).
 * - proxy (gateways, needs the reference target): the reference direct, then through a gateway
 *   whose agent is the reference as an upstream A2A agent: proxied ÷ direct req/s and the
 *   latency the gateway adds (support/proxy.ts).
 *
 * Env: BENCH_SECONDS (10), BENCH_CONCURRENCY (16), BENCH_TARGETS
 * (reference,pglite,postgres,floor-pglite,floor-postgres: the floors are the least any durable
 * server does on each store, bench/reference/durable-floor-server.ts, in the same run),
 * BENCH_PHASES (throughput,delay,memory,history,auth,proxy), BENCH_DELAY_CONCURRENCY (256),
 * BENCH_IDLE_STREAMS (1000), BENCH_HISTORY_TASKS (100000), BENCH_HISTORY_REQUESTS (200: probes
 * of each kind), BENCH_CATCHUP_LIMIT (120: seconds the gateway gets to fold the seeded tasks
 * into its view), BENCH_AUTH_ROUNDS (2: load runs of each auth mode), BENCH_CLIENT (http, or
 * fetch: see `post` in support/a2a-client.ts), DATABASE_URL (the postgres target needs it;
 * each session makes and drops its own schema).
 */
import { cpus } from 'node:os';
import { sendMessage, socketPool } from './support/a2a-client.js';
import { loadMain, type Step } from './support/a2a-load.js';
import { report, type TargetResult } from './support/a2a-report.js';
import {
  buildTargets,
  chooseTargets,
  type GatewayName,
  isFloor,
  isGateway,
  runLoad,
  type Session,
  startTarget,
  type Target,
  type TargetName,
} from './support/a2a-targets.js';
import { authCostPhase, benchIssuer } from './support/auth-cost.js';
import { historyPhase } from './support/history.js';
import { seedMain } from './support/history-seed.js';
import { type MemoryFloors, memoryFloors } from './support/memory-floors.js';
import { serverFailure, steadyRssMb, stop, stopAll } from './support/pinned-process.js';
import { type ProxyFigures, proxyPhase } from './support/proxy.js';
import { progress, round } from './support/report.js';

const number = (name: string, fallback: number) => Number(process.env[name] || fallback);
const list = (name: string, fallback: string) =>
  (process.env[name] || fallback).split(',').map((item) => item.trim());

const SETTINGS = {
  seconds: number('BENCH_SECONDS', 10),
  concurrency: number('BENCH_CONCURRENCY', 16),
  targets: list('BENCH_TARGETS', 'reference,pglite,postgres,floor-pglite,floor-postgres'),
  phases: list('BENCH_PHASES', 'throughput,delay,memory,history,auth,proxy'),
  delayConcurrency: number('BENCH_DELAY_CONCURRENCY', 256),
  idleStreams: number('BENCH_IDLE_STREAMS', 1_000),
  historyTasks: number('BENCH_HISTORY_TASKS', 100_000),
  historyRequests: number('BENCH_HISTORY_REQUESTS', 200),
  catchUpLimitS: number('BENCH_CATCHUP_LIMIT', 120),
  authRounds: number('BENCH_AUTH_ROUNDS', 2),
  client: process.env.BENCH_CLIENT || 'http',
};
const PHASES = ['throughput', 'delay', 'memory', 'history', 'auth', 'proxy'];
const has = (phase: string) => SETTINGS.phases.includes(phase);

/** One server start for the throughput, delay and memory phases of a target. */
/** Idle RSS a second after a start, before any request but the readiness checks. */
async function idleRssMb(running: Session): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return steadyRssMb(running.server.pid);
}

/**
 * Two starts on one empty store: the first creates it (PGlite's initdb, migrations), the
 * second is what a running deployment restarts into, and takes the load. A first start on a
 * fresh PGlite folder holds a few hundred MB that its first major GC gives back, so only
 * RSS after the restart is steady enough to measure streams and load against.
 */
async function session(target: Target): Promise<TargetResult> {
  const store = await target.freshStore();
  const first = await startTarget(target, store.env);
  const rssFirstStartMb = await idleRssMb(first).finally(() => stop(first.server));
  const running = await startTarget(target, store.env);
  try {
    const rssIdleMb = await idleRssMb(running);
    // One checked call first, so a missing or wrong endpoint fails here, clearly.
    await sendMessage(running.url, socketPool(1)).catch((error: Error) => {
      throw serverFailure(running.server, `SendMessage at ${running.url} failed: ${error.message}`);
    });
    const steps: Step[] = [];
    // The reference's echo has no `/input` task to follow: idle streams are the gateway's.
    if (has('memory') && isGateway(target.name)) steps.push('idle-streams');
    if (has('throughput')) steps.push('send', 'stream', 'get');
    // The floors answer the plain echo only: throughput is all they are for.
    if (has('delay') && !isFloor(target.name)) steps.push('delay');
    progress(`${target.column}: load on core 1 against ${running.url}: ${steps.join(', ')}`);
    const load = await runLoad(running, {
      seconds: SETTINGS.seconds,
      concurrency: SETTINGS.concurrency,
      steps,
      idleStreams: SETTINGS.idleStreams,
      delayConcurrency: SETTINGS.delayConcurrency,
    });
    return { rssFirstStartMb, rssIdleMb, load };
  } finally {
    await stop(running.server);
  }
}

async function floors(): Promise<MemoryFloors> {
  progress('memory floors: bare node, bare PGlite on a fresh folder, then reopened');
  return memoryFloors();
}

async function main(): Promise<void> {
  const started = performance.now();
  const unknown = SETTINGS.phases.filter((phase) => !PHASES.includes(phase));
  if (unknown.length > 0) throw new Error(`unknown BENCH_PHASES: ${unknown.join(', ')}`);
  const { chosen, skipped, cleanup } = chooseTargets(SETTINGS.targets);
  // Interrupted: no pinned process may outlive the run, nor its data. A second signal kills.
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.once(name, async () => {
      await stopAll();
      await cleanup();
      process.exit(130);
    });
  }
  for (const line of skipped) progress(line);
  try {
    // One core for the server, one for the load: with fewer, the figures compare nothing.
    if (cpus().length < 2) throw new Error(`needs 2 cores, this machine has ${cpus().length}`);
    // The reference serves only the phases with a session; history is the gateways' alone.
    const sessions = ['throughput', 'delay', 'memory'].some(has);
    const reference = chosen.find((target) => target.name === 'reference');
    await buildTargets(
      chosen.filter((target) => sessions || has('proxy') || isGateway(target.name)),
    );
    const results: Partial<Record<TargetName, TargetResult>> = {};
    if (sessions) {
      for (const target of chosen) results[target.name] = await session(target);
    }
    const bare = has('memory') ? await floors() : {};
    if (has('history')) {
      for (const target of chosen) {
        if (!isGateway(target.name)) continue;
        const history = await historyPhase(target as Target & { name: 'pglite' | 'postgres' }, {
          tasks: SETTINGS.historyTasks,
          requests: SETTINGS.historyRequests,
          catchUpLimitS: SETTINGS.catchUpLimitS,
          concurrency: SETTINGS.concurrency,
        });
        results[target.name] = { load: {}, ...results[target.name], history };
      }
    }
    if (has('auth')) {
      const issuer = await benchIssuer();
      try {
        for (const target of chosen) {
          if (!isGateway(target.name)) continue;
          const auth = await authCostPhase(target as Target & { name: GatewayName }, issuer, {
            seconds: SETTINGS.seconds,
            concurrency: SETTINGS.concurrency,
            rounds: SETTINGS.authRounds,
          });
          results[target.name] = { load: {}, ...results[target.name], auth };
        }
      } finally {
        await issuer.cleanup();
      }
    }
    const proxy: Partial<Record<GatewayName, ProxyFigures>> = {};
    if (has('proxy') && !reference) skipped.push('proxy: skipped (BENCH_TARGETS has no reference)');
    if (has('proxy') && reference) {
      for (const target of chosen) {
        if (!isGateway(target.name)) continue;
        proxy[target.name] = await proxyPhase(reference, target as Target & { name: GatewayName }, {
          seconds: SETTINGS.seconds,
          concurrency: SETTINGS.concurrency,
          delayConcurrency: SETTINGS.delayConcurrency,
        });
      }
    }
    const wallSeconds = round((performance.now() - started) / 1_000);
    progress(`bench:a2a took ${wallSeconds} s`);
    report(results, bare, skipped, { ...SETTINGS, wallSeconds }, proxy);
  } catch (error) {
    console.error(`bench:a2a failed: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

if (process.argv[2] === '--load') {
  console.log(JSON.stringify(await loadMain(JSON.parse(process.argv[3]!))));
  process.exit(0);
} else if (process.argv[2] === '--seed') {
  console.log(JSON.stringify(await seedMain(JSON.parse(process.argv[3]!))));
  process.exit(0);
} else {
  await main();
}
