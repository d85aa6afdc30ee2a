import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { baseOf, withUrl } from './remote.js';
import { readSse } from './sse-client.js';

interface Update {
  type: 'progress' | 'done' | 'error';
  phase?: string;
  events?: number;
  position?: number;
  head?: number;
  rate?: number;
  tasks?: number;
  elapsedMs?: number;
  message?: string;
}

/**
 * `replay [--url <gateway>]`: rebuilds the task view from the first event while the gateway
 * serves (`POST /admin/projections/task-view/rebuild`, admin scope; `--url` and credentials as
 * every command that asks a running gateway: GATEWAY_URL, A2A_TOKEN or A2A_API_KEY), with a
 * progress bar and the rate. Ctrl-C drops the connection, which
 * interrupts the rebuild: the live view keeps serving, the partial table is dropped.
 */
export function registerReplayCommand(program: Command): void {
  withUrl(
    program
      .command('replay')
      .description(
        'rebuild the task view from the first event while the gateway serves, then swap',
      ),
  )
    .option('--quiet', 'no progress bar, only the outcome')
    .action(async (options: { url: string; quiet?: boolean }) => {
      const abort = new AbortController();
      const interrupt = () => abort.abort();
      process.once('SIGINT', interrupt);
      try {
        const result = await replay(options.url, abort.signal, !options.quiet);
        console.log(
          `task view rebuilt: ${result.tasks} tasks from ${result.events} events in ${((result.elapsedMs ?? 0) / 1_000).toFixed(1)} s (${result.rate} events/s)`,
        );
      } catch (error) {
        if (!abort.signal.aborted) throw error;
        console.error(
          '\ninterrupted: the live task view still serves; the partial table is dropped',
        );
        process.exitCode = 130;
      } finally {
        process.off('SIGINT', interrupt);
      }
    });
}

async function replay(url: string, signal: AbortSignal, showBar: boolean): Promise<Update> {
  const target = `${baseOf(url)}/admin/projections/task-view/rebuild`;
  // Positions are sparse (PostgreSQL's are transaction ids × 2^16): the bar runs over them,
  // the text counts events.
  const bar = showBar
    ? new SingleBar({
        format: 'task view |{bar}| {percentage}% | {events} events | {rate} events/s | {phase}',
        hideCursor: true,
        stream: process.stderr,
      })
    : undefined;
  let last: Update | undefined;
  let started = false;
  try {
    for await (const event of readSse(target, { method: 'POST', signal })) {
      const update = JSON.parse(event.data) as Update;
      last = update;
      if (update.type !== 'progress' || !bar) continue;
      const payload = { events: update.events, rate: update.rate, phase: update.phase };
      if (bar.getTotal() !== (update.head ?? 0) || !started) {
        bar.start(Math.max(1, update.head ?? 1), 0, payload);
        started = true;
      }
      bar.update(Math.min(update.position ?? 0, update.head ?? 0), payload);
    }
  } finally {
    if (started) {
      if (last?.type === 'done') bar?.update(bar.getTotal());
      bar?.stop();
    }
  }
  if (signal.aborted) throw new Error('interrupted');
  if (!last || last.type === 'progress')
    throw new Error('the gateway ended the rebuild stream early');
  if (last.type === 'error') throw new Error(`the rebuild failed: ${last.message}`);
  return last;
}
