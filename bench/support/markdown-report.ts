/**
 * The one report `npm run bench` writes: each benchmark's own tables as it printed them, the
 * ratios against the references measured in the same run, and the memory profile, read from
 * the JSON line each benchmark prints last.
 */

export interface SuiteRun {
  suite: 'store' | 'a2a' | 'bus';
  ok: boolean;
  /** Exit code, or the signal that ended it. */
  exit: number | string | null;
  seconds: number;
  /** What it printed for people: its tables and notes. */
  text: string;
  /** Its last line, parsed. */
  figures?: Record<string, unknown>;
}

type Figures = Record<string, unknown>;
const isObject = (value: unknown): value is Figures =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), value);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const cell = (value: unknown, digits = 2): string => {
  const n = num(value);
  return n === undefined ? '–' : String(Math.round(n * 10 ** digits) / 10 ** digits);
};

/** One row per measure, one column per target: `| a | b |` Markdown. */
function table(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** store: 8 writers and batches against raw INSERTs from as many clients. */
function storeRatios(figures: Figures) {
  return Object.fromEntries(
    Object.entries(figures)
      .filter(([, f]) => isObject(f))
      .map(([store, f]) => [
        store,
        { writers8: num(at(f, 'writers8VsReference')), batch: num(at(f, 'batchVsReference')) },
      ]),
  );
}

/** a2a: each gateway against the in-memory SDK server. */
function a2aRatios(figures: Figures) {
  const ratios = at(figures, 'ratios');
  if (!isObject(ratios)) return {};
  return Object.fromEntries(
    Object.entries(ratios).map(([key, value]) => [key.replace(/VsReference$/, ''), value]),
  );
}

/** bus: each adapter against its service's own client, single publishes and batches. */
function busRatios(figures: Figures) {
  const adapters = at(figures, 'adapters');
  if (!isObject(adapters)) return {};
  return Object.fromEntries(
    Object.entries(adapters).map(([name, f]) => [
      name,
      { single: num(at(f, 'singleRatio')), batch: num(at(f, 'batchRatio')) },
    ]),
  );
}

/** a2a: RSS idle, with the idle streams, per stream, per seeded task; ListTasks p99 there. */
function memoryProfile(figures: Figures) {
  const gateways = ['pglite', 'postgres'].filter((name) => isObject(figures[name]));
  return Object.fromEntries(
    gateways.map((name) => {
      const g = figures[name] as Figures;
      return [
        name,
        {
          rssIdleMb: num(g.rssIdleMb),
          rssPeakMb: num(g.rssPeakMb),
          sseStreams: num(g.sseStreams),
          sseRssBeforeMb: num(g.sseRssBeforeMb),
          sseRssAfterMb: num(g.sseRssAfterMb),
          sseRssPerStreamKb: num(g.sseRssPerStreamKb),
          storedTasks: num(at(g, 'history', 'countedTasks')),
          rssSmallStoreMb: num(at(g, 'history', 'rssSmallMb')),
          rssAfterCatchUpMb: num(at(g, 'history', 'rssAfterCatchUpMb')),
          rssPerTaskKb: num(at(g, 'history', 'rssPerTaskKb')),
          listTasksP99SmallMs: num(at(g, 'history', 'small', 'listTasks', 'p99Ms')),
          listTasksP99LargeMs: num(at(g, 'history', 'large', 'listTasks', 'p99Ms')),
          getTaskP99LargeMs: num(at(g, 'history', 'large', 'getTask', 'p99Ms')),
        },
      ];
    }),
  );
}

/** The figures the JSON line carries: ratios per benchmark and the memory profile. */
export function summarise(runs: readonly SuiteRun[]) {
  const out: Record<string, unknown> = {};
  for (const run of runs) {
    const f = run.figures;
    const base = { ok: run.ok, seconds: Math.round(run.seconds) };
    if (!f) out[run.suite] = base;
    else if (run.suite === 'store') out.store = { ...base, ratios: storeRatios(f) };
    else if (run.suite === 'bus') out.bus = { ...base, ratios: busRatios(f) };
    else
      out.a2a = {
        ...base,
        ratios: a2aRatios(f),
        mustReach: at(f, 'mustReach'),
        memory: memoryProfile(f),
      };
  }
  return out;
}

function ratioSection(run: SuiteRun): string[] {
  const f = run.figures!;
  if (run.suite === 'store') {
    const r = storeRatios(f);
    return [
      table(
        ['store', '8 writers ÷ raw INSERT', 'batches of 100 ÷ multi-row INSERT'],
        Object.entries(r).map(([store, v]) => [store, cell(v.writers8), cell(v.batch)]),
      ),
    ];
  }
  if (run.suite === 'bus') {
    const r = busRatios(f);
    return [
      table(
        ['adapter', 'single publishes ÷ reference', 'batches ÷ reference'],
        Object.entries(r).map(([name, v]) => [name, cell(v.single), cell(v.batch)]),
      ),
    ];
  }
  const ratios = a2aRatios(f);
  const must = at(f, 'mustReach');
  const rows: string[][] = [];
  for (const [gateway, measures] of Object.entries(ratios)) {
    if (!isObject(measures)) continue;
    for (const [measure, value] of Object.entries(measures)) {
      const goal = at(must, gateway, measure);
      rows.push([
        `${gateway}: ${measure}`,
        cell(value),
        isObject(goal) ? `≥ ${cell(goal.min)}: ${goal.met ? 'met' : 'not met'}` : '–',
      ]);
    }
  }
  // `floor…`: the durable floor ÷ the reference; `…VsFloor`: the gateway ÷ that floor.
  const header =
    'gateway (or floor) ÷ reference (in-memory SDK server); VsFloor: ÷ the durable floor';
  return [table([header, 'ratio', 'must reach'], rows)];
}

function memorySection(figures: Figures): string[] {
  const profile = memoryProfile(figures);
  const names = Object.keys(profile);
  if (names.length === 0) return [];
  const row = (label: string, key: string, digits = 1) => [
    label,
    ...names.map((name) => cell((profile[name] as Figures)[key], digits)),
  ];
  return [
    '## Memory profile',
    '',
    table(
      ['measure', ...names.map((name) => `gateway-${name}`)],
      [
        row('RSS idle MB', 'rssIdleMb'),
        row('RSS peak under load MB', 'rssPeakMb'),
        row('idle SSE streams open', 'sseStreams', 0),
        row('RSS before the streams MB', 'sseRssBeforeMb'),
        row('RSS with the streams open MB', 'sseRssAfterMb'),
        row('RSS per idle stream KB', 'sseRssPerStreamKb', 2),
        row('tasks stored (history phase)', 'storedTasks', 0),
        row('RSS on the small store MB', 'rssSmallStoreMb'),
        row('RSS with every task in the view MB', 'rssAfterCatchUpMb'),
        row('RSS per stored task KB', 'rssPerTaskKb', 3),
        row('ListTasks p99 ms, small store', 'listTasksP99SmallMs'),
        row('ListTasks p99 ms, every task stored', 'listTasksP99LargeMs'),
        row('GetTask p99 ms, every task stored', 'getTaskP99LargeMs'),
      ],
    ),
    '',
  ];
}

const TITLES = {
  store: 'Event store (`npm run bench:store`)',
  a2a: 'A2A endpoint (`npm run bench:a2a`)',
  bus: 'Bus adapters (`npm run bench:bus`)',
};

export function markdownReport(
  runs: readonly SuiteRun[],
  context: { when: Date; env: Record<string, string | undefined> },
): string {
  const settings = Object.entries(context.env)
    .filter(([key]) => key.startsWith('BENCH_'))
    .map(([key, value]) => `${key}=${value}`)
    .sort();
  const out = [
    '# Benchmark report',
    '',
    `${context.when.toISOString()} · node ${process.version} · ` +
      `${settings.length > 0 ? settings.join(' ') : 'default settings'}`,
    '',
    'Every ratio divides the gateway’s figure by a reference measured in the same run, on the ' +
      'same machine: absolute figures on a shared machine are noisy, ratios much less so.',
    '',
  ];
  const a2a = runs.find((run) => run.suite === 'a2a' && run.figures);
  if (a2a) out.push(...memorySection(a2a.figures!));
  for (const run of runs) {
    out.push(`## ${TITLES[run.suite]}`, '');
    if (!run.ok)
      out.push(`**Failed** (exit ${run.exit}) after ${Math.round(run.seconds)} s; its output:`, '');
    else out.push(...ratioSection(run), '', `Took ${Math.round(run.seconds)} s. Its tables:`, '');
    out.push('```', run.text.trim(), '```', '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
