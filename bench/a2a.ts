/**
 * `npm run bench:a2a`: SendMessage and SSE stream throughput of the gateway's echo agent on
 * PGlite and PostgreSQL, beside a reference measured in the same run: the in-memory @a2a-js/sdk
 * server with the same echo agent (`bench/reference/sdk-echo-server.ts`). Each server is a child
 * pinned to core 0; the load runs pinned to core 1. The last line printed is one JSON object.
 * The load generator is `support/a2a-load.ts`; the pinned processes, `support/pinned-process.ts`.
 *
 * Env: BENCH_SECONDS (10), BENCH_CONCURRENCY (16), BENCH_TARGETS (reference,pglite,postgres),
 * BENCH_CLIENT (http, or fetch: see `post` in the load generator), DATABASE_URL (the postgres
 * target needs it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  CONCURRENCY,
  type LoadResult,
  loadArgs,
  loadBudgetMs,
  loadMain,
  type Measure,
  sendMessage,
  streamMessage,
} from './support/a2a-load.js';
import {
  type PinnedServer,
  serverFailure,
  spawnPinned,
  startServer,
  stop,
  stopAll,
  waitReady,
} from './support/pinned-process.js';
import { progress, round, table } from './support/report.js';

// The load process is this script again, with `--load` (see `loadMain`).
const SCRIPT = fileURLToPath(import.meta.url);
const SECONDS = Number(process.env.BENCH_SECONDS || 10);

type TargetName = 'reference' | 'pglite' | 'postgres';

interface Target {
  name: TargetName;
  column: string;
  entry: string;
  env: Record<string, string>;
  /** Where JSON-RPC is served when no agent card names it. */
  fallbackPath: string;
  cleanup(): Promise<void>;
}

/** The JSON-RPC URL the agent card names, so the driver needs no knowledge of paths. */
async function rpcUrl(target: Target, server: PinnedServer): Promise<string> {
  type Interface = { url?: string; protocolBinding?: string; protocolVersion?: string };
  type Card = { supportedInterfaces?: Interface[] };
  const card: Card = await fetch(`${server.base}/.well-known/agent-card.json`)
    .then((response) => (response.ok ? response.json() : {}))
    .catch(() => ({}));
  const interfaces = card.supportedInterfaces ?? [];
  // A card may list the same binding again for v0.3 clients: take the v1.0 one.
  const jsonRpc = interfaces.filter((i) => i.protocolBinding === 'JSONRPC');
  const preferred = jsonRpc.find((i) => i.protocolVersion === '1.0') ?? jsonRpc[0] ?? interfaces[0];
  const url = preferred?.url;
  if (url) return url;
  const fallback = `${server.base}${target.fallbackPath}`;
  progress(`${target.column}: no agent card names a JSON-RPC URL; trying ${fallback}`);
  return fallback;
}

/** Runs the load process against a ready server; the server dying fails the run at once. */
async function runLoad(server: PinnedServer, url: string): Promise<LoadResult> {
  const args = [SCRIPT, '--load', ...loadArgs(url, SECONDS, CONCURRENCY, server.pid)];
  const load = spawnPinned(1, ['--import', 'tsx', ...args], process.env, false);
  let stdout = '';
  load.process.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const budget = loadBudgetMs(SECONDS);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    load.exited.then((how) => ({ load: how })),
    server.exited.then((how) => ({ server: how })),
    new Promise<{ timeout: true }>((resolve) => {
      timer = setTimeout(() => resolve({ timeout: true }), budget);
    }),
  ]);
  clearTimeout(timer);
  if (!('load' in outcome)) await stop(load);
  if ('server' in outcome) throw serverFailure(server, `the server ${outcome.server} under load`);
  if ('timeout' in outcome) throw serverFailure(server, `the load did not end in ${budget} ms`);
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  if (outcome.load !== 'exited with code 0' || !last.startsWith('{')) {
    throw serverFailure(server, `the load generator ${outcome.load}`);
  }
  return JSON.parse(last) as LoadResult;
}

async function bench(target: Target): Promise<LoadResult> {
  progress(`${target.column}: starting ${target.entry} on core 0`);
  const server = await startServer({
    label: target.column,
    core: 0,
    entry: target.entry,
    env: target.env,
  });
  try {
    await waitReady(server);
    const url = await rpcUrl(target, server);
    // One checked call of each kind first, so a missing or wrong endpoint fails here, clearly.
    for (const check of [sendMessage, streamMessage]) {
      await check(url).catch((error: Error) => {
        throw serverFailure(server, `${check.name} at ${url} failed: ${error.message}`);
      });
    }
    progress(`${target.column}: load on core 1 against ${url}`);
    return await runLoad(server, url);
  } finally {
    await stop(server);
  }
}

/** The targets BENCH_TARGETS asks for, and a line for each that cannot run here. */
async function targets(): Promise<{ chosen: Target[]; skipped: string[] }> {
  const wanted = (process.env.BENCH_TARGETS || 'reference,pglite,postgres').split(',');
  const chosen: Target[] = [];
  const skipped: string[] = [];
  const gateway = { entry: 'src/main.ts', fallbackPath: '/agents/echo' };
  if (wanted.includes('reference')) {
    chosen.push({
      name: 'reference',
      column: 'reference',
      entry: 'bench/reference/sdk-echo-server.ts',
      env: {},
      fallbackPath: '/',
      cleanup: async () => {},
    });
  }
  if (wanted.includes('pglite')) {
    const dataDir = await mkdtemp(join(tmpdir(), 'bench-a2a-'));
    chosen.push({
      ...gateway,
      name: 'pglite',
      column: 'gateway-pglite',
      env: { LOG_LEVEL: 'warn', DATA_DIR: dataDir },
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
    });
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (wanted.includes('postgres') && !databaseUrl) {
    skipped.push('gateway-postgres: skipped (DATABASE_URL is not set)');
  } else if (wanted.includes('postgres') && databaseUrl) {
    const schema = `bench_a2a_${process.pid}`;
    chosen.push({
      ...gateway,
      name: 'postgres',
      column: 'gateway-postgres',
      env: { LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema },
      async cleanup() {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`).finally(() => client.end());
      },
    });
  }
  return { chosen, skipped };
}

/** `{ sendPerSec, sendP99Ms, …, streamPerSec, … }`: the flat, rounded JSON of one target. */
function figures(result: LoadResult) {
  return Object.fromEntries(
    (['send', 'stream'] as const).flatMap((kind) =>
      Object.entries(result[kind])
        .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
        .map(([key, value]) => [
          `${kind}${key[0]!.toUpperCase()}${key.slice(1)}`,
          round(value, key.endsWith('Ms') ? 2 : 0),
        ]),
    ),
  );
}

function report(results: Partial<Record<TargetName, LoadResult>>, skipped: string[]): void {
  const names = Object.keys(results) as TargetName[];
  const failed = ({ send, stream }: LoadResult) => send.errors + stream.errors > 0;
  const both = (pick: (m: Measure) => number) => (r: LoadResult) =>
    `${round(pick(r.send))} / ${round(pick(r.stream))}`;
  const rows: [string, (r: LoadResult) => string | number][] = [
    ['SendMessage req/s', (r) => round(r.send.perSec)],
    ['SendMessage p50 ms', (r) => round(r.send.p50Ms, 2)],
    ['SendMessage p99 ms', (r) => round(r.send.p99Ms, 2)],
    ['SSE streams/s', (r) => round(r.stream.perSec)],
    ['stream p99 ms', (r) => round(r.stream.p99Ms, 2)],
    ['errors (send / stream)', (r) => `${both((m) => m.errors)(r)}${failed(r) ? ' FAILED' : ''}`],
    ['server CPU % (send / stream)', both((m) => m.serverCpuPct)],
    ['load CPU % (send / stream)', both((m) => m.loadCpuPct)],
    ['other CPU % (send / stream)', both((m) => m.otherCpuPct)],
  ];
  const columns = names.map((name) => (name === 'reference' ? name : `gateway-${name}`));
  const cells = rows.map(([label, pick]) => [label, ...names.map((n) => pick(results[n]!))]);
  console.log(table(['measure', ...columns], cells));
  for (const name of names) {
    const { send, stream } = results[name]!;
    if (send.firstError) console.log(`${name}: first SendMessage failure: ${send.firstError}`);
    if (stream.firstError) console.log(`${name}: first stream failure: ${stream.firstError}`);
    // Other work on the two cores takes CPU from the server or the client, never evenly.
    const other = Math.max(send.otherCpuPct, stream.otherCpuPct);
    if (other > 25) console.log(`${name}: other processes used up to ${round(other)}% CPU`);
  }
  for (const line of skipped) console.log(line);

  const ratio = (name: TargetName) => {
    const [gateway, reference] = [results[name], results.reference];
    if (!gateway || !reference) return null;
    return {
      sendMessage: round(gateway.send.perSec / reference.send.perSec, 2),
      streams: round(gateway.stream.perSec / reference.stream.perSec, 2),
    };
  };
  const ratios = { pgliteVsReference: ratio('pglite'), postgresVsReference: ratio('postgres') };
  const goal = (['pglite', 'postgres'] as const).flatMap((name) => {
    const r = ratios[`${name}VsReference`];
    return r ? [`${name} ${r.sendMessage}× SendMessage, ${r.streams}× streams`] : [];
  });
  console.log(
    `\nGoal: gateway ≥ reference throughput. ${goal.join('; ') || 'No ratio: no gateway and reference pair ran.'}`,
  );
  const summary = names.map((name) => [
    name,
    { ...figures(results[name]!), failed: failed(results[name]!) },
  ]);
  console.log(JSON.stringify({ ...Object.fromEntries(summary), ratios }));
}

if (process.argv[2] === '--load') {
  await loadMain(process.argv.slice(3));
} else {
  const { chosen, skipped } = await targets();
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const target of chosen) {
        await target.cleanup().catch((error: Error) => {
          progress(`${target.column}: cleanup failed: ${error.message}`);
        });
      }
    })());
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
    const results: Partial<Record<TargetName, LoadResult>> = {};
    for (const target of chosen) results[target.name] = await bench(target);
    report(results, skipped);
  } catch (error) {
    console.error(`bench:a2a failed: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}
