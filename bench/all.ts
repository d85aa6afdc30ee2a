/**
 * `npm run bench`: every benchmark in turn (bench:store, bench:a2a, bench:bus), each in its own
 * process as its own script runs it, then ONE Markdown report of them all: each benchmark's
 * tables, its ratios against the reference it measured in the same run, and a memory profile
 * (RSS with BENCH_IDLE_STREAMS idle SSE streams, 10,000 here unless set; RSS per task over
 * BENCH_HISTORY_TASKS stored tasks, with ListTasks latency there).
 *
 * Env: BENCH_SUITES (store,a2a,bus), BENCH_REPORT (the report's path; default
 * bench-results/report-<time>.md), and every setting of the benchmarks themselves, passed on.
 * A benchmark that fails is reported as failed; the others still run. The last line printed
 * is one JSON object: the report's path and each benchmark's summary figures.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownReport, type SuiteRun, summarise } from './support/markdown-report.js';
import { progress } from './support/report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SUITES = ['store', 'a2a', 'bus'] as const;
type Suite = (typeof SUITES)[number];

const chosen = (process.env.BENCH_SUITES || SUITES.join(','))
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const unknown = chosen.filter((name) => !SUITES.includes(name as Suite));
if (unknown.length > 0) {
  console.error(
    `unknown BENCH_SUITES entries: ${unknown.join(', ')} (known: ${SUITES.join(', ')})`,
  );
  process.exit(2);
}

// The memory profile the report promises: 10,000 idle streams unless the caller says otherwise.
const env = { ...process.env, BENCH_IDLE_STREAMS: process.env.BENCH_IDLE_STREAMS || '10000' };

/** Runs `bench/<suite>.ts` as `npm run bench:<suite>` does, echoing its output as it comes. */
function runSuite(suite: Suite): Promise<SuiteRun> {
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `bench/${suite}.ts`], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    // Ctrl-C reaches the whole process group: the benchmark stops its own servers.
    child.on('close', (code, signal) => {
      const lines = stdout.trimEnd().split('\n');
      const last = lines.at(-1) ?? '';
      let figures: Record<string, unknown> | undefined;
      try {
        figures = last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : undefined;
      } catch {
        figures = undefined;
      }
      done({
        suite,
        ok: code === 0 && figures !== undefined,
        exit: signal ?? code,
        seconds: (performance.now() - started) / 1_000,
        text: (figures ? lines.slice(0, -1) : lines).join('\n'),
        ...(figures ? { figures } : {}),
      });
    });
  });
}

const runs: SuiteRun[] = [];
for (const suite of chosen as Suite[]) {
  progress(`bench: ${suite} (${runs.length + 1} of ${chosen.length})`);
  runs.push(await runSuite(suite));
}

const when = new Date();
const path = resolve(
  ROOT,
  process.env.BENCH_REPORT || `bench-results/report-${when.toISOString().replace(/[:.]/g, '-')}.md`,
);
await mkdir(dirname(path), { recursive: true });
await writeFile(path, markdownReport(runs, { when, env }));
console.log(`\nreport written to ${path}`);
console.log(JSON.stringify({ report: path, ...summarise(runs) }));
if (runs.some((run) => !run.ok)) process.exitCode = 1;
