import type { Command } from 'commander';
import type {
  DeadLetterAdmin,
  DeadLetterEntry,
  DeadLetterFilter,
  DeadLetterState,
} from '../bus/index.js';
import { baseOf, request } from './remote.js';

export interface OperatorDeadLetters {
  deadLetters: DeadLetterAdmin;
  close(): Promise<void>;
}

interface FilterOptions {
  state?: string;
  topic?: string;
  group?: string;
  limit?: string;
  url?: string;
  json?: boolean;
}

/**
 * `dlq list|show|retry|purge`: the bus's failed messages, from the database directly or, with
 * `--url`, through a running gateway's admin API (`/admin/dead-letters`, admin scope; the way
 * for the embedded store and for a bus that lives in the gateway's process).
 */
export function registerDlqCommands(
  program: Command,
  open: () => Promise<OperatorDeadLetters>,
): void {
  const dlq = program.command('dlq').description("inspect and retry the bus's dead letters");
  const withFilters = (command: Command) =>
    command
      .option(
        '--state <states>',
        'comma-separated: pending_retry, retrying, permanent_failure, resolved, purged',
      )
      .option('--topic <topic>', 'only this topic')
      .option('--group <group>', 'only this consumer group')
      .option('--limit <n>', 'at most this many')
      .option('--url <url>', "use a running gateway's admin API")
      .option('--json', 'print JSON instead of a table');

  withFilters(
    dlq.command('list').description('list dead letters (default: those not resolved or purged)'),
  ).action(async (options: FilterOptions) => {
    const entries = options.url
      ? (
          (await adminCall(options.url, 'GET', `/admin/dead-letters${query(options)}`)) as {
            deadLetters: DeadLetterEntry[];
          }
        ).deadLetters
      : await withLocal(open, (admin) => admin.list(filterOf(options)));
    print(entries, options.json);
  });

  dlq
    .command('show')
    .description('one dead letter, with its message')
    .argument('<id>', 'the entry id (<group>:<message id>)')
    .option('--url <url>', "use a running gateway's admin API")
    .action(async (id: string, options: { url?: string }) => {
      const entry = options.url
        ? await adminCall(options.url, 'GET', `/admin/dead-letters/${encodeURIComponent(id)}`)
        : await withLocal(open, (admin) => admin.get(id));
      if (!entry) throw new Error(`no dead letter ${id}`);
      console.log(JSON.stringify(entry, null, 2));
    });

  for (const action of ['retry', 'purge'] as const) {
    withFilters(
      dlq
        .command(action)
        .description(
          action === 'retry'
            ? 'send permanently failed messages to their group again'
            : 'drop permanently failed messages from the list (their events stay)',
        )
        .argument('[ids...]', 'entry ids; or --all with filters'),
    )
      .option('--all', 'every permanent failure the filters select')
      .action(async (ids: string[], options: FilterOptions & { all?: boolean }) => {
        if (ids.length === 0 && !options.all)
          throw new Error(`name entries to ${action}, or pass --all`);
        const by = `cli:${process.env.USER ?? 'operator'}`;
        let done: DeadLetterEntry[];
        if (options.url) {
          const url = options.url;
          done = options.all
            ? ((
                (await adminCall(
                  url,
                  'POST',
                  `/admin/dead-letters/${action}${query(options)}`,
                )) as Record<string, DeadLetterEntry[]>
              )[action === 'retry' ? 'retried' : 'purged'] ?? [])
            : await Promise.all(
                ids.map(
                  async (id) =>
                    (await adminCall(
                      url,
                      action === 'retry' ? 'POST' : 'DELETE',
                      `/admin/dead-letters/${encodeURIComponent(id)}${action === 'retry' ? '/retry' : ''}`,
                    )) as DeadLetterEntry,
                ),
              );
        } else {
          done = await withLocal(open, async (admin) => {
            if (options.all) {
              return action === 'retry'
                ? admin.retryBatch(filterOf(options), by)
                : admin.purgeBatch(filterOf(options), by);
            }
            const out: DeadLetterEntry[] = [];
            for (const id of ids)
              out.push(await (action === 'retry' ? admin.retry(id, by) : admin.purge(id, by)));
            return out;
          });
        }
        console.log(`${action === 'retry' ? 'retried' : 'purged'} ${done.length}`);
        print(done, options.json);
      });
  }
}

async function withLocal<T>(
  open: () => Promise<OperatorDeadLetters>,
  work: (admin: DeadLetterAdmin) => Promise<T>,
): Promise<T> {
  const local = await open();
  try {
    return await work(local.deadLetters);
  } finally {
    await local.close();
  }
}

function filterOf(options: FilterOptions): DeadLetterFilter {
  return {
    ...(options.state
      ? { states: options.state.split(',').map((s) => s.trim()) as DeadLetterState[] }
      : {}),
    ...(options.topic ? { topic: options.topic } : {}),
    ...(options.group ? { group: options.group } : {}),
    ...(options.limit ? { limit: Number(options.limit) } : {}),
  };
}

function query(options: FilterOptions): string {
  const params = new URLSearchParams();
  if (options.state) params.set('state', options.state);
  if (options.topic) params.set('topic', options.topic);
  if (options.group) params.set('group', options.group);
  if (options.limit) params.set('limit', options.limit);
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function adminCall(url: string, method: string, path: string): Promise<unknown> {
  const target = `${baseOf(url)}${path}`;
  const response = await request(target, { method });
  const body = (await response.json().catch(() => undefined)) as { message?: string } | undefined;
  if (response.status === 404 && method === 'GET' && !path.endsWith('dead-letters'))
    return undefined;
  if (!response.ok)
    throw new Error(`${method} ${target} answered ${response.status}: ${body?.message ?? ''}`);
  return body;
}

function print(entries: readonly DeadLetterEntry[], json: boolean | undefined): void {
  if (json) {
    console.log(JSON.stringify(entries, null, 2));
    return;
  }
  if (entries.length === 0) {
    console.log('no dead letters');
    return;
  }
  const rows = entries.map((e) => [
    e.id,
    e.state,
    e.topic,
    String(e.attempts),
    e.firstFailedAt,
    e.lastError.length > 60 ? `${e.lastError.slice(0, 57)}...` : e.lastError,
  ]);
  const header = ['ID', 'STATE', 'TOPIC', 'ATTEMPTS', 'FIRST FAILED', 'LAST ERROR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  }
}
