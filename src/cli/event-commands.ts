import { once } from 'node:events';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { StoredEvent } from '../events/index.js';
import type { EventStore, GlobalReadOptions } from '../store/index.js';
import { summarize } from './audit-table.js';
import { baseOf, httpError, request } from './remote.js';
import { readSse } from './sse-client.js';

/** The configured store, opened as the gateway opens it (main.ts knows how). */
export interface OperatorStore {
  store: EventStore;
  close(): Promise<void>;
}

interface Filters {
  type?: string;
  tenant?: string;
  url?: string;
}

/** Where an export starts and ends: global positions (inclusive) or ISO times ([from, to)). */
interface Range {
  after?: number;
  toPosition?: number;
  fromTime?: string;
  toTime?: string;
}

const PAGE = 1_000;

/**
 * `events tail|export`: the stored events themselves, from the configured store or, with
 * `--url`, through a running gateway's `/admin/events` (admin scope).
 */
export function registerEventCommands(program: Command, open: () => Promise<OperatorStore>): void {
  const events = program
    .command('events')
    .description('the stored events: follow them live, or export them as NDJSON');

  events
    .command('tail')
    .description('follow the store live (Ctrl-C stops)')
    .option('--type <types>', 'only these event types, comma separated')
    .option('--stream <streamId>', 'only this stream (task-<id>)')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--from <position>', 'start after this global position, or start (everything)', 'end')
    .option('--url <url>', "follow a running gateway's store (/admin/events/stream)")
    .option('--json', 'print each event as one JSON line')
    .action(async (options: Filters & { stream?: string; from: string; json?: boolean }) => {
      const from = tailStart(options.from);
      const stop = stopOnSignal();
      const print = (event: StoredEvent) =>
        console.log(options.json ? JSON.stringify(event) : eventLine(event));
      try {
        if (options.url) {
          const query = new URLSearchParams({ from: String(from) });
          if (options.type) query.set('types', options.type);
          if (options.tenant !== undefined) query.set('tenant', options.tenant);
          if (options.stream) query.set('stream', options.stream);
          const url = `${baseOf(options.url)}/admin/events/stream?${query}`;
          for await (const frame of readSse(url, { signal: stop.signal }))
            print(JSON.parse(frame.data) as StoredEvent);
          return;
        }
        const { store, close } = await open();
        try {
          // Ctrl-C while the store was opening: nothing to follow.
          if (stop.signal.aborted) return;
          const subscription = store.subscribe({
            from,
            ...(options.type ? { types: splitTypes(options.type) } : {}),
            ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
            ...(options.stream ? { streamId: options.stream } : {}),
            signal: stop.signal,
          });
          stop.signal.addEventListener('abort', () => subscription.close());
          for await (const event of subscription) print(event);
        } finally {
          await close();
        }
      } finally {
        stop.dispose();
      }
    });

  events
    .command('export')
    .description('write stored events as NDJSON (one event a line) to stdout, in global order')
    .option('--from <when>', 'first global position (inclusive), or an ISO time')
    .option('--to <when>', 'last global position (inclusive), or an ISO time (exclusive)')
    .option('--type <types>', 'only these event types, comma separated')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--url <url>', "export through a running gateway's /admin/events")
    .action(async (options: Filters & { from?: string; to?: string }) => {
      const range = rangeOf(options.from, options.to);
      const stop = stopOnSignal();
      const filter: GlobalReadOptions = {
        limit: PAGE,
        ...(options.type ? { types: splitTypes(options.type) } : {}),
        ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
      };
      let progress: Progress | undefined;
      let written = 0;
      try {
        if (options.url) {
          progress = startProgress(undefined);
          written = await exportPages(
            (after) => fetchPage(options.url!, { ...filter, ...afterOf(after) }, range),
            range,
            stop.signal,
            progress,
          );
        } else {
          const { store, close } = await open();
          try {
            const head = await store.headPosition();
            progress = startProgress(head - (range.after ?? 0));
            const base = range.after ?? 0;
            written = await exportPages(
              (after) => {
                const read = { ...filter, ...afterOf(after) };
                return range.fromTime || range.toTime
                  ? store.readByTime(timeRange(range), read)
                  : store.readAll(read);
              },
              range,
              stop.signal,
              progress,
              base,
            );
          } finally {
            await close();
          }
        }
      } finally {
        progress?.stop();
        stop.dispose();
      }
      if (stop.signal.aborted) {
        console.error(`stopped after ${written} events`);
        process.exitCode = 130;
      }
    });
}

type Page = { events: StoredEvent[]; next: number | null };

interface Progress {
  update(position: number, written: number): void;
  stop(): void;
}

/** Pages from `range.after` on, written as they come (waiting for stdout to drain). */
async function exportPages(
  read: (after: number | undefined) => Promise<Page>,
  range: Range,
  signal: AbortSignal,
  progress: Progress,
  base = 0,
): Promise<number> {
  let after = range.after;
  let written = 0;
  while (!signal.aborted) {
    const page = await read(after);
    let lines = '';
    let done = page.next === null;
    for (const event of page.events) {
      if (range.toPosition !== undefined && event.globalPosition > range.toPosition) {
        done = true;
        break;
      }
      lines += `${JSON.stringify(event)}\n`;
      written += 1;
      after = event.globalPosition;
    }
    if (lines && !process.stdout.write(lines)) await once(process.stdout, 'drain');
    if (after !== undefined) progress.update(after - base, written);
    if (done || page.events.length === 0) break;
    after = page.next ?? after;
  }
  return written;
}

async function fetchPage(url: string, read: GlobalReadOptions, range: Range): Promise<Page> {
  const query = new URLSearchParams({ limit: String(read.limit ?? PAGE) });
  if (read.after !== undefined) query.set('after', String(read.after));
  if (read.types) query.set('types', read.types.join(','));
  if (read.tenant !== undefined) query.set('tenant', read.tenant);
  if (range.fromTime) query.set('from', range.fromTime);
  if (range.toTime) query.set('to', range.toTime);
  const target = `${baseOf(url)}/admin/events?${query}`;
  const response = await request(target, { headers: { accept: 'application/x-ndjson' } });
  if (!response.ok) throw await httpError(target, response);
  const text = await response.text();
  const events = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as StoredEvent);
  const next = response.headers.get('x-next-after');
  return { events, next: next === null ? null : Number(next) };
}

/** On a terminal only: a bar on stderr (stdout is the export). */
function startProgress(total: number | undefined): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format:
      total === undefined
        ? 'exporting {written} events'
        : 'exporting |{bar}| {percentage}% {written} events',
    hideCursor: true,
  });
  bar.start(total ?? 0, 0, { written: 0 });
  return {
    update: (position, written) =>
      total === undefined ? bar.update({ written }) : bar.update(position, { written }),
    stop: () => bar.stop(),
  };
}

/** Ctrl-C (or SIGTERM) aborts `signal`: the loops end and the store is closed. */
function stopOnSignal(): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function afterOf(after: number | undefined): { after?: number } {
  return after === undefined ? {} : { after };
}

function splitTypes(types: string): string[] {
  return types
    .split(',')
    .map((type) => type.trim())
    .filter(Boolean);
}

function tailStart(from: string): number | 'start' | 'end' {
  if (from === 'start' || from === 'end') return from;
  if (/^\d+$/.test(from)) return Number(from);
  throw new Error(`--from: a global position, start or end (not ${JSON.stringify(from)})`);
}

function rangeOf(from: string | undefined, to: string | undefined): Range {
  const range: Range = {};
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (value === undefined) continue;
    if (/^\d+$/.test(value)) {
      const position = Number(value);
      if (name === 'from') range.after = Math.max(0, position - 1);
      else range.toPosition = position;
    } else if (!Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\d/.test(value)) {
      const iso = new Date(value).toISOString();
      if (name === 'from') range.fromTime = iso;
      else range.toTime = iso;
    } else {
      throw new Error(`--${name}: a global position or an ISO time (not ${JSON.stringify(value)})`);
    }
  }
  return range;
}

function timeRange(range: Range): { from: Date; to: Date } {
  return {
    from: new Date(range.fromTime ?? 0),
    to: new Date(range.toTime ?? '9999-12-31T00:00:00Z'),
  };
}

/** One event as one line: position, time, type, stream, tenant, what it says. */
function eventLine(event: StoredEvent): string {
  return [
    String(event.globalPosition).padStart(6),
    event.timestamp,
    event.type.padEnd(24),
    event.streamId,
    event.metadata.tenant || '-',
    summarize(event),
  ].join('  ');
}
