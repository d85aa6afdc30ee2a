/**
 * What `npm run bench:a2a` prints: one table (rows per measure, columns per target), notes,
 * a "must reach" line per gateway, and, as the last line, one JSON object with every figure.
 */
import { DELAY_MS, type Latency, type LoadResult, type Measure } from './a2a-load.js';
import { type GatewayName, isGateway, type TargetName } from './a2a-targets.js';
import type { AuthCostFigures } from './auth-cost.js';
import type { HistoryFigures } from './history.js';
import type { MemoryFloors } from './memory-floors.js';
import { type ProxyFigures, proxyRows, proxySummary } from './proxy.js';
import { round, table } from './report.js';

export interface TargetResult {
  /** Idle RSS after the first start on an empty store (PGlite creates its folder). */
  rssFirstStartMb?: number;
  /** Idle RSS after a restart on that store: the steady floor load and streams add to. */
  rssIdleMb?: number;
  load: LoadResult;
  history?: HistoryFigures;
  /** The auth phase: SendMessage and GetTask with auth off, then bearer-JWT auth on. */
  auth?: AuthCostFigures;
}

export type Floors = Partial<MemoryFloors>;

type Results = Partial<Record<TargetName, TargetResult>>;

/** The issue's thresholds: gateway throughput as a share of the reference's. */
const MUST_REACH: Record<GatewayName, { sendMessage: number; streams: number; getTask: number }> = {
  postgres: { sendMessage: 0.6, streams: 0.6, getTask: 1.0 },
  pglite: { sendMessage: 0.3, streams: 0.3, getTask: 1.0 },
};

/** The issue's threshold for auth: at most 10% of throughput (auth on ÷ off). */
const AUTH_MUST_REACH = 0.9;

const LOOPS = ['send', 'stream', 'get', 'delay'] as const;
type Loop = (typeof LOOPS)[number];
const AUTH_LOOPS = ['send', 'get'] as const;

/** Every measure of the auth phase, each named `auth <off|on> <loop> (run N)`. */
function authMeasures({ auth }: TargetResult): [string, Measure][] {
  return (auth?.rounds ?? []).flatMap((round, i) =>
    AUTH_LOOPS.flatMap((loop): [string, Measure][] => {
      const measure = round[loop];
      return measure ? [[`auth ${round.mode} ${loop} (run ${i + 1})`, measure]] : [];
    }),
  );
}

/**
 * Per target: SendMessage and GetTask req/s off and on (each mode's best run), on ÷ off
 * against the threshold, every run's req/s, server CPU per call, errors of all runs.
 */
function authCost(result: TargetResult | undefined) {
  const auth = result?.auth;
  if (!auth) return null;
  const of = (loop: (typeof AUTH_LOOPS)[number]) => {
    const [off, on] = [auth.off[loop], auth.on[loop]];
    const ratio = off && on && off.perSec > 0 ? round(on.perSec / off.perSec, 2) : null;
    // Server CPU per call (ms): less swayed than req/s by other work taking core 0.
    const cpuMs = (m: Measure | undefined) =>
      m && m.perSec > 0 ? round((m.serverCpuPct * 10) / m.perSec, 3) : null;
    const runs = (mode: 'off' | 'on') => auth.rounds.filter((r) => r.mode === mode);
    const perRun = (mode: 'off' | 'on') => runs(mode).map((r) => round(r[loop]?.perSec ?? 0));
    const errors = (mode: 'off' | 'on') =>
      runs(mode).reduce((sum, r) => sum + (r[loop]?.errors ?? 0), 0);
    return {
      off: off ? round(off.perSec) : null,
      on: on ? round(on.perSec) : null,
      ratio,
      min: AUTH_MUST_REACH,
      met: ratio === null ? null : ratio >= AUTH_MUST_REACH,
      runs: { off: perRun('off'), on: perRun('on') },
      serverCpuMsPerCall: { off: cpuMs(off), on: cpuMs(on) },
      errors: { off: errors('off'), on: errors('on') },
    };
  };
  return { sendMessage: of('send'), getTask: of('get') };
}

const ms = (value: number | undefined) => (value === undefined ? '-' : String(round(value, 2)));
const count = (value: number | undefined) => (value === undefined ? '-' : String(round(value)));
const pair = (latency: Latency | undefined) =>
  latency ? `${ms(latency.p50Ms)} / ${ms(latency.p99Ms)}` : '-';
const added = (measure: Measure | undefined) =>
  measure ? `${ms(measure.p50Ms - DELAY_MS)} / ${ms(measure.p99Ms - DELAY_MS)}` : '-';

function failed(result: TargetResult): boolean {
  const measures = [
    ...LOOPS.map((loop) => result.load[loop]),
    ...authMeasures(result).map(([, measure]) => measure),
  ];
  return measures.some((measure) => (measure?.errors ?? 0) > 0);
}

/** `name`'s throughput over `base`'s, loop by loop; null where either did not run. */
function ratio(results: Results, name: TargetName, base: TargetName = 'reference') {
  const [gateway, reference] = [results[name]?.load, results[base]?.load];
  if (!gateway || !reference) return null;
  const of = (loop: Loop) => {
    const [g, r] = [gateway[loop]?.perSec, reference[loop]?.perSec];
    return g === undefined || r === undefined ? null : round(g / r, 2);
  };
  return { sendMessage: of('send'), getTask: of('get'), streams: of('stream') };
}

/** Rows whose every cell is '-' are left out: the phases that did not run. */
function rows(results: Results, names: TargetName[], inFlight: unknown): (string | number)[][] {
  const each = (loops: readonly Loop[], pick: (m: Measure) => string) => (r: TargetResult) =>
    loops.map((loop) => (r.load[loop] ? pick(r.load[loop]!) : '-')).join(' / ');
  const h = (pick: (h: HistoryFigures) => string) => (r: TargetResult) =>
    r.history ? pick(r.history) : '-';
  const sizes = (r?: HistoryFigures) =>
    r ? [r.baseTasks, r.baseTasks + r.seededTasks].map((n) => n.toLocaleString('en')) : [];
  const anyHistory = names.map((n) => results[n]?.history).find(Boolean);
  const [small = 'small', large = 'large'] = sizes(anyHistory);
  const streams = names.map((n) => results[n]?.load.idleStreams?.streams).find(Boolean);
  type Cost = NonNullable<ReturnType<typeof authCost>>;
  const a = (pick: (c: Cost) => string) => (r: TargetResult) => {
    const cost = authCost(r);
    return cost ? pick(cost) : '-';
  };
  const num = (value: number | null) => (value === null ? '-' : String(value));
  const runs = (both: { off: number[]; on: number[] }) =>
    `${both.off.join(' ')}; ${both.on.join(' ')}`;
  const offOn = (both: { off: number | null; on: number | null }) =>
    `${num(both.off)} / ${num(both.on)}`;
  const spec: [string, (r: TargetResult) => string][] = [
    ['SendMessage req/s', (r) => count(r.load.send?.perSec)],
    ['SendMessage p50 / p99 ms', (r) => pair(r.load.send)],
    ['SSE streams/s', (r) => count(r.load.stream?.perSec)],
    ['stream p50 / p99 ms', (r) => pair(r.load.stream)],
    ['GetTask req/s', (r) => count(r.load.get?.perSec)],
    ['GetTask p50 / p99 ms', (r) => pair(r.load.get)],
    [`/delay ${DELAY_MS} req/s, ${inFlight} in flight`, (r) => count(r.load.delay?.perSec)],
    [`/delay ${DELAY_MS} p50 / p99 ms`, (r) => pair(r.load.delay)],
    [`added over ${DELAY_MS} ms p50 / p99`, (r) => added(r.load.delay)],
    ['errors (send/stream/get/delay)', (r) => each(LOOPS, (m) => String(m.errors))(r)],
    ['server CPU % (send/stream/get/delay)', each(LOOPS, (m) => count(m.serverCpuPct))],
    ['load CPU % (send/stream/get/delay)', each(LOOPS, (m) => count(m.loadCpuPct))],
    ['other CPU % (send/stream/get/delay)', each(LOOPS, (m) => count(m.otherCpuPct))],
    ['RSS idle after first start MB', (r) => count(r.rssFirstStartMb)],
    ['RSS idle after restart MB', (r) => count(r.rssIdleMb)],
    ['RSS peak under load MB', (r) => count(peakRss(r))],
    [`RSS per idle SSE stream KB (${streams ?? 'N'})`, (r) => ms(r.load.idleStreams?.perStreamKb)],
    [`GetTask p50 / p99 ms, ${small} tasks`, h((x) => pair(x.small.getTask))],
    [`GetTask p50 / p99 ms, ${large} tasks`, h((x) => pair(x.large?.getTask))],
    [`ListTasks p50 / p99 ms, ${small}`, h((x) => pair(x.small.listTasks))],
    [`ListTasks p50 / p99 ms, ${large}`, h((x) => pair(x.large?.listTasks))],
    [`ListTasks status p50 / p99 ms, ${small}`, h((x) => pair(x.small.listTasksByStatus))],
    [`ListTasks status p50 / p99 ms, ${large}`, h((x) => pair(x.large?.listTasksByStatus))],
    ['history: seeding s', h((x) => ms(x.seedSeconds))],
    [
      'history: ready / all counted s',
      h((x) => `${ms(x.readySeconds ?? undefined)} / ${ms(x.catchUpSeconds ?? undefined)}`),
    ],
    ['history: RSS on the small store MB', h((x) => count(x.rssSmallMb))],
    ['history: RSS after catch-up MB', h((x) => count(x.rssAfterCatchUpMb ?? undefined))],
    ['history: RSS per seeded task KB', h((x) => ms(perTaskKb(x)))],
    ['auth off: SendMessage req/s, best run', a((c) => num(c.sendMessage.off))],
    ['auth on: SendMessage req/s, best run', a((c) => num(c.sendMessage.on))],
    ['auth on ÷ off: SendMessage', a((c) => num(c.sendMessage.ratio))],
    ['auth off: GetTask req/s, best run', a((c) => num(c.getTask.off))],
    ['auth on: GetTask req/s, best run', a((c) => num(c.getTask.on))],
    ['auth on ÷ off: GetTask', a((c) => num(c.getTask.ratio))],
    ['auth: SendMessage req/s, each run: off; on', a((c) => runs(c.sendMessage.runs))],
    ['auth: GetTask req/s, each run: off; on', a((c) => runs(c.getTask.runs))],
    ['auth: server CPU ms/SendMessage off / on', a((c) => offOn(c.sendMessage.serverCpuMsPerCall))],
    ['auth: server CPU ms/GetTask off / on', a((c) => offOn(c.getTask.serverCpuMsPerCall))],
    [
      'auth: errors off / on (send; get)',
      a((c) => `${offOn(c.sendMessage.errors)}; ${offOn(c.getTask.errors)}`),
    ],
  ];
  return spec
    .map(([label, pick]) => [label, ...names.map((n) => pick(results[n]!))])
    .filter((row) => row.slice(1).some((cell) => !/^[-/ ]*$/.test(String(cell))));
}

function peakRss(result: TargetResult): number | undefined {
  const peaks = LOOPS.flatMap((loop) => result.load[loop]?.serverPeakRssMb ?? []);
  return peaks.length ? Math.max(...peaks) : undefined;
}

/** `{ sendPerSec, sendP50Ms, …, delayAddedP99Ms, rssIdleMb, … }`: one target, flat, rounded. */
function figures(result: TargetResult) {
  const flat: Record<string, unknown> = {};
  for (const loop of LOOPS) {
    const measure = result.load[loop];
    if (!measure) continue;
    for (const [key, value] of Object.entries(measure)) {
      if (typeof value !== 'number') continue;
      flat[`${loop}${key[0]!.toUpperCase()}${key.slice(1)}`] = round(
        value,
        key.endsWith('Ms') ? 2 : 0,
      );
    }
  }
  const { delay, idleStreams } = result.load;
  if (delay) {
    flat.delayAddedP50Ms = round(delay.p50Ms - DELAY_MS, 2);
    flat.delayAddedP99Ms = round(delay.p99Ms - DELAY_MS, 2);
  }
  if (result.rssFirstStartMb !== undefined) {
    flat.rssFirstStartMb = round(result.rssFirstStartMb, 1);
  }
  if (result.rssIdleMb !== undefined) flat.rssIdleMb = round(result.rssIdleMb, 1);
  const peak = peakRss(result);
  if (peak !== undefined) flat.rssPeakMb = round(peak, 1);
  if (idleStreams) {
    flat.sseStreams = idleStreams.streams;
    flat.sseRssBeforeMb = round(idleStreams.rssBeforeMb, 1);
    flat.sseRssAfterMb = round(idleStreams.rssAfterMb, 1);
    flat.sseRssPerStreamKb = round(idleStreams.perStreamKb, 2);
  }
  if (result.history) flat.history = history(result.history);
  return { ...flat, failed: failed(result) };
}

function history(h: HistoryFigures) {
  const latency = (l: Latency | undefined) =>
    l ? { p50Ms: round(l.p50Ms, 2), p99Ms: round(l.p99Ms, 2), ok: l.ok, errors: l.errors } : null;
  const probes = (p: HistoryFigures['small'] | null) =>
    p
      ? {
          getTask: latency(p.getTask),
          listTasks: latency(p.listTasks),
          listTasksByStatus: latency(p.listTasksByStatus),
          totalSize: p.totalSize,
        }
      : null;
  return {
    baseTasks: h.baseTasks,
    seededTasks: h.seededTasks,
    seedSeconds: round(h.seedSeconds, 1),
    readySeconds: h.readySeconds === null ? null : round(h.readySeconds, 1),
    catchUpSeconds: h.catchUpSeconds === null ? null : round(h.catchUpSeconds, 1),
    countedTasks: h.countedTasks,
    rssSmallMb: round(h.rssSmallMb, 1),
    rssAfterCatchUpMb: h.rssAfterCatchUpMb === null ? null : round(h.rssAfterCatchUpMb, 1),
    rssPerTaskKb: perTaskKb(h) === undefined ? null : round(perTaskKb(h)!, 2),
    small: probes(h.small),
    large: probes(h.large),
  };
}

/** The floors, and each gateway's idle RSS above its floor: its own share. */
function memoryFigures(results: Results, floors: Floors): Record<string, number> {
  const memory: Record<string, number> = {};
  for (const [key, value] of Object.entries(floors)) memory[key] = round(value, 1);
  const own = (key: string, idle: number | undefined, floor: number | undefined) => {
    if (idle !== undefined && floor !== undefined) memory[key] = round(idle - floor, 1);
  };
  const { pglite, postgres } = results;
  own('pgliteGatewayOwnMb', pglite?.rssIdleMb, floors.barePgliteReopenedRssMb);
  own('pgliteGatewayOwnFirstStartMb', pglite?.rssFirstStartMb, floors.barePgliteRssMb);
  own('postgresGatewayOwnMb', postgres?.rssIdleMb, floors.bareNodeRssMb);
  return memory;
}

export function report(
  results: Results,
  floors: Floors,
  notes: string[],
  settings: Record<string, unknown>,
  proxy: Partial<Record<GatewayName, ProxyFigures>> = {},
): void {
  const names = Object.keys(results) as TargetName[];
  const columns = names.map((name) => (isGateway(name) ? `gateway-${name}` : name));
  if (names.length > 0)
    console.log(table(['measure', ...columns], rows(results, names, settings.delayConcurrency)));
  const proxied = Object.entries(proxy) as [GatewayName, ProxyFigures][];
  if (proxied.length > 0) {
    console.log(
      `\n${table(
        ['gateway in front of the reference', 'value'],
        proxied.flatMap(([name, figures]) => proxyRows(`gateway-${name}`, figures)),
      )}`,
    );
  }

  const lines = [...notes];
  for (const name of names) {
    const { load } = results[name]!;
    for (const loop of LOOPS) {
      const first = load[loop]?.firstError;
      if (first) lines.push(`${name}: first ${loop} failure: ${first}`);
    }
    for (const [probe, latency] of Object.entries(results[name]!.history?.small ?? {})) {
      const first = (latency as Latency).firstError;
      if (first) lines.push(`${name}: history ${probe} failure: ${first}`);
    }
    const auth = authMeasures(results[name]!);
    for (const [what, measure] of auth) {
      if (measure.firstError) lines.push(`${name}: first ${what} failure: ${measure.firstError}`);
    }
    // A load generator near a full core measures itself: the server could do more.
    const measured = [...LOOPS.map((loop) => [loop, load[loop]] as const), ...auth];
    for (const [what, measure] of measured) {
      const cpu = measure?.loadCpuPct ?? 0;
      if (cpu > 90)
        lines.push(
          `${name}: the load generator used ${round(cpu)}% of core 1 in ${what}: that figure is the client's limit`,
        );
    }
    // Other work on the two cores takes CPU from the server or the client, never evenly.
    const other = Math.max(0, ...measured.map(([, measure]) => measure?.otherCpuPct ?? 0));
    if (other > 25) lines.push(`${name}: other processes used up to ${round(other)}% CPU`);
    const h = results[name]!.history;
    if (h && h.catchUpSeconds === null) {
      lines.push(
        `${name}: the task view counted ${h.countedTasks} of ${h.baseTasks + h.seededTasks} tasks within the catch-up limit; no probes on the large store`,
      );
    }
  }
  const memory = memoryFigures(results, floors);
  if (Object.keys(memory).length > 0) {
    const mb = (key: string) => (memory[key] === undefined ? '-' : `${memory[key]} MB`);
    lines.push(
      `memory floors: bare node ${mb('bareNodeRssMb')}, bare PGlite ${mb('barePgliteRssMb')} on a fresh folder, ${mb('barePgliteReopenedRssMb')} reopened; ` +
        `the gateway's own share, idle: PGlite ${mb('pgliteGatewayOwnMb')} after a restart (− reopened bare PGlite), ${mb('pgliteGatewayOwnFirstStartMb')} after the first start (− fresh bare PGlite); PostgreSQL ${mb('postgresGatewayOwnMb')} (− bare node)`,
    );
  }

  const ratios = {
    pgliteVsReference: ratio(results, 'pglite'),
    postgresVsReference: ratio(results, 'postgres'),
    // The ceiling of any durable server on each store, and how much of it the gateway reaches.
    floorPgliteVsReference: ratio(results, 'floor-pglite'),
    floorPostgresVsReference: ratio(results, 'floor-postgres'),
    pgliteVsFloor: ratio(results, 'pglite', 'floor-pglite'),
    postgresVsFloor: ratio(results, 'postgres', 'floor-postgres'),
  };
  const durableFloors = [
    ['pglite', ratios.floorPgliteVsReference, ratios.pgliteVsFloor],
    ['postgres', ratios.floorPostgresVsReference, ratios.postgresVsFloor],
  ] as const;
  for (const [name, floor, share] of durableFloors) {
    if (!floor || !share) continue;
    const each = (r: NonNullable<typeof floor>) =>
      `SendMessage ${r.sendMessage ?? '-'}×, streams ${r.streams ?? '-'}×, GetTask ${r.getTask ?? '-'}×`;
    lines.push(
      `durable floor on ${name} (bench/reference/durable-floor-server.ts) vs the reference: ${each(floor)}; gateway-${name} vs that floor: ${each(share)}`,
    );
  }
  const mustReach: Record<string, unknown> = {};
  for (const name of ['pglite', 'postgres'] as const) {
    const r = ratios[`${name}VsReference`];
    if (!r || Object.values(r).every((value) => value === null)) continue;
    const checks = (Object.keys(MUST_REACH[name]) as (keyof typeof r)[]).map((key) => {
      const min = MUST_REACH[name][key];
      const value = r[key];
      return { key, min, value, met: value === null ? null : value >= min };
    });
    mustReach[name] = Object.fromEntries(checks.map(({ key, ...check }) => [key, check]));
    const parts = checks.map(
      ({ key, min, value, met }) =>
        `${key} ${value ?? '-'}× (≥ ${min}) ${met === null ? 'not measured' : met ? 'yes' : 'NO'}`,
    );
    const reached = checks.filter((check) => check.met).length;
    lines.push(`must reach, gateway-${name}: ${parts.join(', ')}: ${reached} of ${checks.length}`);
  }
  const authCosts: Record<string, unknown> = {};
  for (const name of ['pglite', 'postgres'] as const) {
    const cost = authCost(results[name]);
    if (!cost) continue;
    authCosts[name] = cost;
    const checks = Object.entries(cost).map(([key, { ratio, met }]) => ({ key, ratio, met }));
    const parts = checks.map(
      ({ key, ratio, met }) =>
        `${key} ${ratio ?? '-'}× (≥ ${AUTH_MUST_REACH}) ${met === null ? 'not measured' : met ? 'yes' : 'NO'}`,
    );
    const reached = checks.filter((check) => check.met).length;
    lines.push(
      `must reach, auth cost (bearer JWT on ÷ off), gateway-${name}: ${parts.join(', ')}: ${reached} of ${checks.length}`,
    );
  }
  if (lines.length > 0) console.log(`\n${lines.join('\n')}`);

  const summary = Object.fromEntries(names.map((name) => [name, figures(results[name]!)]));
  const authCostField = Object.keys(authCosts).length > 0 ? { authCost: authCosts } : {};
  const proxyField =
    proxied.length > 0
      ? {
          proxy: Object.fromEntries(
            proxied.map(([name, figures]) => [name, proxySummary(figures)]),
          ),
        }
      : {};
  console.log(
    JSON.stringify({
      ...summary,
      memory,
      ratios,
      mustReach,
      ...authCostField,
      ...proxyField,
      settings,
    }),
  );
}

/** What each seeded task adds to the caught-up gateway's RSS (its view rows, caches). */
function perTaskKb(h: HistoryFigures): number | undefined {
  if (h.rssAfterCatchUpMb === null || h.seededTasks === 0) return undefined;
  return ((h.rssAfterCatchUpMb - h.rssSmallMb) * 1024) / h.seededTasks;
}
