import type { EventStore, SqlClient, SqlExecutor } from '../store/index.js';
import { TASK_EVENT_TYPES } from './events.js';
import { openTaskView } from './task-view.js';

/** Where a rebuild stands: events folded so far, and global positions (sparse on PostgreSQL). */
export interface RebuildProgress {
  phase: 'folding' | 'swapping' | 'done';
  /** Task events folded into the new table. */
  events: number;
  /** Global position of the last event folded. */
  position: number;
  /** The store's head when the rebuild began: the position it folds towards. */
  head: number;
  /** Events folded per second since the start. */
  rate: number;
  elapsedMs: number;
}

export interface RebuildResult extends RebuildProgress {
  phase: 'done';
  /** Rows of the new view, and their count by state. */
  tasks: number;
}

export class RebuildAbortedError extends Error {
  constructor() {
    super('the rebuild was interrupted: the live view still serves, the partial table is dropped');
    this.name = 'RebuildAbortedError';
  }
}

export class RebuildRunningError extends Error {
  constructor() {
    super('a rebuild of the task view is already running in this process');
    this.name = 'RebuildRunningError';
  }
}

const NEXT = 'task_view_rebuild';
const NEXT_COUNTS = 'task_counts_rebuild';
const PAGE = 2_000;
const TASK_TYPES = Object.values(TASK_EVENT_TYPES);
const running = new WeakSet<SqlClient>();

/**
 * Rebuilds the task view from the first event while the live one keeps serving (blue/green):
 * every task event is folded into `task_view_rebuild`, a copy of the live table's shape; then
 * one transaction locks the live table against writers (readers go on), takes from it only rows
 * its projector folded further than the rebuild got (events committed during the swap's
 * approach), counts the new rows into a new `task_counts`, drops the old tables, renames the
 * new ones and their indexes into place and recreates the count triggers. Readers and the live
 * projector find the new tables by name from the next statement. Aborting `signal` while
 * folding drops the partial table and leaves the live view as it was.
 */
export async function rebuildTaskView(options: {
  store: EventStore;
  client: SqlClient;
  schema: string;
  signal?: AbortSignal;
  onProgress?: (progress: RebuildProgress) => void;
  /** Least time between two progress reports while folding. */
  progressEveryMs?: number;
}): Promise<RebuildResult> {
  const { store, client, schema, signal } = options;
  if (running.has(client)) throw new RebuildRunningError();
  running.add(client);
  const started = Date.now();
  const head = await store.headPosition();
  let events = 0;
  let position = 0;
  const progress = (phase: RebuildProgress['phase']): RebuildProgress => {
    const elapsedMs = Date.now() - started;
    return {
      phase,
      events,
      position,
      head,
      rate: elapsedMs > 0 ? Math.round((events * 1_000) / elapsedMs) : 0,
      elapsedMs,
    };
  };
  const table = (name: string) => `${schema}.${name}`;
  try {
    // A table left by a rebuild that crashed is only ever partial.
    await client.exec(
      `drop table if exists ${table(NEXT)}; drop table if exists ${table(NEXT_COUNTS)};
       create table ${table(NEXT)} (like ${table('task_view')} including all);`,
    );
    const next = openTaskView(client, schema, table(NEXT));
    let reported = 0;
    for (let after = 0; ; ) {
      if (signal?.aborted) throw new RebuildAbortedError();
      const page = await store.readAll({ after, types: TASK_TYPES, limit: PAGE });
      if (page.events.length > 0) {
        await next.applyBatch(page.events);
        events += page.events.length;
        position = page.events[page.events.length - 1]!.globalPosition;
      }
      if (Date.now() - reported >= (options.progressEveryMs ?? 250)) {
        reported = Date.now();
        options.onProgress?.(progress('folding'));
      }
      if (page.next === null) break;
      after = page.next;
    }
    if (signal?.aborted) throw new RebuildAbortedError();
    options.onProgress?.(progress('swapping'));
    const tasks = await client.transaction((tx) => swap(tx, schema));
    await client.exec(`analyze ${table('task_view')}`);
    return { ...progress('done'), phase: 'done', tasks };
  } catch (error) {
    await client
      .exec(`drop table if exists ${table(NEXT)}; drop table if exists ${table(NEXT_COUNTS)};`)
      .catch(() => {});
    throw error;
  } finally {
    running.delete(client);
  }
}

/** The atomic part: after it commits, `task_view` and `task_counts` are the rebuilt tables. */
async function swap(tx: SqlExecutor, schema: string): Promise<number> {
  const s = schema;
  // Writers wait (every instance's projector), readers go on until the drop.
  await tx.exec(`lock table ${s}.task_view in exclusive mode`);
  // Events committed after the rebuild's last page: the live projector folded them already.
  await tx.exec(`
    insert into ${s}.${NEXT} select * from ${s}.task_view
    on conflict (task_id) do update set state = excluded.state, status_at = excluded.status_at,
      version = excluded.version, position = excluded.position, task = excluded.task
    where ${s}.${NEXT}.version < excluded.version;
    create table ${s}.${NEXT_COUNTS} (like ${s}.task_counts including all);
    insert into ${s}.${NEXT_COUNTS} (tenant, context_id, state, total)
      select tenant, '', state, count(*) from ${s}.${NEXT} group by 1, 3
      union all select tenant, context_id, state, count(*) from ${s}.${NEXT} group by 1, 2, 3;`);
  const indexes = await indexRenames(tx, s, [
    ['task_view', NEXT],
    ['task_counts', NEXT_COUNTS],
  ]);
  const triggers = await tx.query<{ def: string }>({
    text: `select pg_get_triggerdef(t.oid) as def from pg_trigger t
      where t.tgrelid = $1::regclass and not t.tgisinternal order by t.tgname`,
    values: [`${s}.task_view`],
  });
  await tx.exec(`
    drop table ${s}.task_view;
    drop table ${s}.task_counts;
    alter table ${s}.${NEXT} rename to task_view;
    alter table ${s}.${NEXT_COUNTS} rename to task_counts;
    ${indexes.map(([from, to]) => `alter index ${s}.${from} rename to ${to};`).join('\n')}
    ${triggers.map((trigger) => `${trigger.def};`).join('\n')}`);
  const [row] = await tx.query<{ total: number }>({
    text: `select count(*)::int as total from ${s}.task_view`,
    values: [],
  });
  return Number(row?.total ?? 0);
}

/**
 * Pairs each index of a rebuilt table with the live table's index of the same definition, so
 * the rebuilt ones take the names migrations know (`like … including all` names them anew).
 */
async function indexRenames(
  tx: SqlExecutor,
  schema: string,
  tables: [live: string, rebuilt: string][],
): Promise<[string, string][]> {
  const renames: [string, string][] = [];
  for (const [live, rebuilt] of tables) {
    const rows = await tx.query<{ tablename: string; indexname: string; indexdef: string }>({
      text: `select tablename, indexname, indexdef from pg_indexes
        where schemaname = $1 and tablename = any ($2::text[])`,
      values: [schema, [live, rebuilt]],
    });
    const shape = (def: string) =>
      def.replace(
        /^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ /,
        (_m, unique) => `${unique ?? ''}|`,
      );
    const liveNames = new Map(
      rows.filter((r) => r.tablename === live).map((r) => [shape(r.indexdef), r.indexname]),
    );
    for (const row of rows.filter((r) => r.tablename === rebuilt)) {
      const name = liveNames.get(shape(row.indexdef));
      if (name) renames.push([row.indexname, name]);
    }
  }
  return renames;
}
