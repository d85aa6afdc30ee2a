/**
 * The servers `npm run bench:a2a` compares, how each is built and started, and a load process
 * run against one of them. The gateway runs what production runs (`dist/main.js` under plain
 * node); the reference is compiled the same way (tsc to `.tmp/`), so neither pays for tsx's
 * transform (its per-closure `__name` wrappers cost real CPU).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import type { LoadResult, LoadSpec } from './a2a-load.js';
import { loadBudgetMs } from './a2a-load.js';
import type { SeedTarget } from './history-seed.js';
import {
  type PinnedServer,
  serverFailure,
  spawnPinned,
  startServer,
  stop,
  waitReady,
} from './pinned-process.js';
import { progress } from './report.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The load and seed processes are the driver script again, with `--load` or `--seed`.
const SCRIPT = fileURLToPath(new URL('../a2a.ts', import.meta.url));
const REFERENCE_SOURCES = [
  'bench/reference/sdk-echo-server.ts',
  'bench/reference/durable-floor-server.ts',
];
const REFERENCE_BUILD = '.tmp/bench-reference';

export type GatewayName = 'pglite' | 'postgres';
/** The least any durable server does on that store (bench/reference/durable-floor-server.ts). */
export type FloorName = 'floor-pglite' | 'floor-postgres';
export type TargetName = 'reference' | GatewayName | FloorName;

export const isGateway = (name: TargetName): name is GatewayName =>
  name === 'pglite' || name === 'postgres';
export const isFloor = (name: TargetName): name is FloorName => name.startsWith('floor-');

/** An empty store for one session: the server's env, and where a seeder writes (gateways). */
export interface FreshStore {
  env: Record<string, string>;
  seed?: SeedTarget;
}

export interface Target {
  name: TargetName;
  column: string;
  entry: string;
  /** Where JSON-RPC is served when no agent card names it. */
  fallbackPath: string;
  /** A new empty store (the reference keeps its own in memory); `cleanup` removes them all. */
  freshStore(): Promise<FreshStore>;
}

/** A started server, ready, with the JSON-RPC URL its agent card names. */
export interface Session {
  server: PinnedServer;
  url: string;
}

const run = promisify(execFile);

/**
 * `npm run build` for the gateway, and the reference through tsc into `.tmp/` (git-ignored,
 * inside the repository so `@a2a-js/sdk` resolves from its `node_modules`). Both at once.
 */
export async function buildTargets(targets: readonly Target[]): Promise<void> {
  const builds: Promise<unknown>[] = [];
  if (targets.some((target) => isGateway(target.name))) {
    progress('building the gateway: npm run build (tsc → dist/); the gateway runs dist/main.js');
    builds.push(run('npm', ['run', 'build'], { cwd: ROOT }));
  }
  if (targets.some((target) => !isGateway(target.name))) {
    progress(
      `compiling the reference and floor: tsc ${REFERENCE_SOURCES.join(' ')} → ${REFERENCE_BUILD}/`,
    );
    const flags = ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
    const more = ['--strict', '--skipLibCheck', '--types', 'node', '--rootDir', 'bench/reference'];
    const args = [...flags, ...more, '--outDir', REFERENCE_BUILD, ...REFERENCE_SOURCES];
    builds.push(run(join(ROOT, 'node_modules/.bin/tsc'), args, { cwd: ROOT }));
  }
  await Promise.all(builds).catch((error: Error & { stdout?: string }) => {
    throw new Error(`build failed: ${error.message}\n${error.stdout ?? ''}`);
  });
}

/** The targets BENCH_TARGETS asks for, a line for each that cannot run here, and a cleanup. */
export function chooseTargets(wanted: readonly string[]): {
  chosen: Target[];
  skipped: string[];
  cleanup: () => Promise<void>;
} {
  const chosen: Target[] = [];
  const skipped: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const gateway = { entry: 'dist/main.js', fallbackPath: '/agents/echo' };
  const schema = 'a2a_gateway';
  if (wanted.includes('reference')) {
    chosen.push({
      name: 'reference',
      column: 'reference',
      entry: `${REFERENCE_BUILD}/sdk-echo-server.js`,
      fallbackPath: '/',
      freshStore: async () => ({ env: {} }),
    });
  }
  if (wanted.includes('pglite')) {
    chosen.push({
      ...gateway,
      name: 'pglite',
      column: 'gateway-pglite',
      async freshStore() {
        const dataDir = await mkdtemp(join(tmpdir(), 'bench-a2a-'));
        cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
        return { env: { DATA_DIR: dataDir }, seed: { kind: 'pglite', dataDir, schema } };
      },
    });
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (wanted.includes('postgres') && !databaseUrl) {
    skipped.push('gateway-postgres: skipped (DATABASE_URL is not set)');
  } else if (wanted.includes('postgres') && databaseUrl) {
    let made = 0;
    chosen.push({
      ...gateway,
      name: 'postgres',
      column: 'gateway-postgres',
      async freshStore() {
        const schema = `bench_a2a_${process.pid}_${++made}`;
        cleanups.push(() => dropSchema(databaseUrl, schema));
        return {
          env: { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema },
          seed: { kind: 'postgres', databaseUrl, schema },
        };
      },
    });
  }
  // The floors: the same stores, the least a durable server can do on them.
  const floor = { entry: `${REFERENCE_BUILD}/durable-floor-server.js`, fallbackPath: '/' };
  if (wanted.includes('floor-pglite')) {
    chosen.push({
      ...floor,
      name: 'floor-pglite',
      column: 'floor-pglite',
      async freshStore() {
        const dataDir = await mkdtemp(join(tmpdir(), 'bench-floor-'));
        cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
        return { env: { DATA_DIR: dataDir } };
      },
    });
  }
  if (wanted.includes('floor-postgres') && !databaseUrl) {
    skipped.push('floor-postgres: skipped (DATABASE_URL is not set)');
  } else if (wanted.includes('floor-postgres') && databaseUrl) {
    let made = 0;
    chosen.push({
      ...floor,
      name: 'floor-postgres',
      column: 'floor-postgres',
      async freshStore() {
        const schema = `bench_floor_${process.pid}_${++made}`;
        cleanups.push(() => dropSchema(databaseUrl, schema));
        return { env: { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema } };
      },
    });
  }
  const cleanup = async () => {
    for (const step of cleanups.splice(0)) {
      await step().catch((error: Error) => progress(`cleanup failed: ${error.message}`));
    }
  };
  return { chosen, skipped, cleanup };
}

async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`).finally(() => client.end());
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

/** Starts `target` on core 0 against `env`'s store and waits until it answers. */
export async function startTarget(
  target: Target,
  env: Record<string, string>,
  readyTimeoutMs?: number,
): Promise<Session> {
  progress(`${target.column}: starting node ${target.entry} on core 0`);
  const server = await startServer({
    label: target.column,
    core: 0,
    entry: target.entry,
    // The memory phase holds BENCH_IDLE_STREAMS streams open (10,000 under `npm run bench`):
    // the gateway's caps on streams and connections would refuse what it measures.
    env: { LOG_LEVEL: 'warn', MAX_SSE_STREAMS: '1000000', MAX_CONNECTIONS: '0', ...env },
  });
  try {
    await waitReady(server, readyTimeoutMs);
    return { server, url: await rpcUrl(target, server) };
  } catch (error) {
    await stop(server);
    throw error;
  }
}

/** Runs one load process on core 1 against a ready server; the server dying fails the run. */
export async function runLoad(session: Session, spec: Omit<LoadSpec, 'url' | 'serverPid'>) {
  const { server, url } = session;
  const full: LoadSpec = { ...spec, url, serverPid: server.pid };
  const load = spawnPinned(
    1,
    ['--import', 'tsx', SCRIPT, '--load', JSON.stringify(full)],
    process.env,
    false,
  );
  return lastJsonLine<LoadResult>(load, loadBudgetMs(full), server, 'the load generator');
}

/** Fills a fresh store with `count` completed tasks through the store API (no server). */
export async function runSeed(seed: SeedTarget, count: number, sampleSize: number) {
  const spec = JSON.stringify({ target: seed, count, sampleSize });
  const child = spawnPinned(1, ['--import', 'tsx', SCRIPT, '--seed', spec], process.env, false);
  // PGlite folders seed at about 1,300 tasks/s on this machine: a generous bound.
  const budget = 60_000 + count * 5;
  return lastJsonLine<{ sample: string[]; seconds: number }>(child, budget, undefined, 'seeding');
}

async function lastJsonLine<T>(
  child: ReturnType<typeof spawnPinned>,
  budget: number,
  server: PinnedServer | undefined,
  what: string,
): Promise<T> {
  let stdout = '';
  child.process.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    child.exited.then((how) => ({ child: how })),
    ...(server ? [server.exited.then((how) => ({ server: how }))] : []),
    new Promise<{ timeout: true }>((resolve) => {
      timer = setTimeout(() => resolve({ timeout: true }), budget);
    }),
  ]);
  clearTimeout(timer);
  if (!('child' in outcome)) await stop(child);
  const fail = (message: string) => (server ? serverFailure(server, message) : new Error(message));
  if ('server' in outcome) throw fail(`the server ${outcome.server} under load`);
  if ('timeout' in outcome) throw fail(`${what} did not end in ${budget} ms`);
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  if (outcome.child !== 'exited with code 0' || !last.startsWith('{')) {
    throw fail(`${what} ${outcome.child}`);
  }
  return JSON.parse(last) as T;
}
