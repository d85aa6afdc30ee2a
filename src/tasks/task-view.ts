import type { StoredEvent } from '../events/index.js';
import type { TaskState } from '../protocol/index.js';
import { type Migration, migrate, type Query, type SqlClient } from '../store/index.js';
import { InvalidTaskRequestError } from './errors.js';
import { isTaskEventType } from './events.js';
import { foldStored } from './fold.js';
import type { TaskAggregate } from './state.js';

export interface TaskListQuery {
  tenant: string;
  contextId?: string;
  state?: TaskState;
  /** ISO 8601: tasks whose status changed at or after it. */
  statusTimestampAfter?: string;
  pageSize: number;
  pageToken?: string;
}

export interface TaskListPage {
  tasks: TaskAggregate[];
  /** '' on the last page (§3.1.4). */
  nextPageToken: string;
  totalSize: number;
}

/**
 * The read side of tasks: one row per task, folded from its events by a durable subscriber,
 * so GetTask and ListTasks never replay streams.
 */
export interface TaskView {
  /**
   * Folds events in, in order, with one write: what the projector calls. Idempotent: an event
   * at or below a row's version is ignored.
   */
  applyBatch(events: StoredEvent[]): Promise<void>;
  get(taskId: string, tenant: string): Promise<TaskAggregate | undefined>;
  /** Newest status first; keyset pages so a page costs the same wherever it starts. */
  list(query: TaskListQuery): Promise<TaskListPage>;
  /** Tasks (any tenant) that are submitted or working: what a restart must look after. */
  unsettled(): Promise<TaskAggregate[]>;
  /** How many tasks are in each state, every tenant together: from the kept counts, no scan. */
  countByState(): Promise<Record<string, number>>;
  /**
   * Rewrites every row of `tenant` through `redact` and forgets the copies held in memory: a
   * tenant's personal data was shredded, and the rows hold copies of it. States, times and
   * ids stay, so counts and pages are unchanged. Returns how many rows were rewritten.
   */
  redactTenant(tenant: string, redact: (task: TaskAggregate) => TaskAggregate): Promise<number>;
}

const CACHE_SIZE = 10_000;
/** Rows written before the view's statistics are refreshed (then a fifth of the table). */
const ANALYZE_AFTER_ROWS = 2_000;

const viewMigrations: Migration[] = [
  {
    version: 1,
    name: 'task view',
    sql: (s: string) => `
      create table ${s}.task_view (
        task_id text primary key,
        tenant text not null,
        context_id text not null,
        agent text not null,
        state text not null,
        status_at timestamptz not null,
        version bigint not null,
        position bigint not null,
        task jsonb not null
      );
      create index task_view_recent on ${s}.task_view (tenant, status_at desc, task_id desc);
      create index task_view_context on ${s}.task_view (tenant, context_id, status_at desc, task_id desc);
      create index task_view_open on ${s}.task_view (state)
        where state in ('TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING');`,
  },
  {
    version: 2,
    name: 'task counts',
    // ListTasks' totalSize must not cost a scan of every task a tenant ever had: the view
    // keeps counts per tenant and state, and per tenant, context and state (context '' is
    // "any context"), in step with its rows through statement triggers.
    sql: (s: string) => `
      create index task_view_state on ${s}.task_view (tenant, state, status_at desc, task_id desc);
      create table ${s}.task_counts (
        tenant text not null,
        context_id text not null,
        state text not null,
        total bigint not null,
        primary key (tenant, context_id, state)
      );
      create function ${s}.task_counts_add() returns trigger language plpgsql as $fn$
      begin
        insert into ${s}.task_counts as c (tenant, context_id, state, total)
          select tenant, context_id, state, sum(delta) from (
            select n.tenant, '' as context_id, n.state, 1 as delta from new_rows n
            union all select n.tenant, n.context_id, n.state, 1 from new_rows n
          ) x group by 1, 2, 3 order by 1, 2, 3
        on conflict (tenant, context_id, state) do update set total = c.total + excluded.total;
        return null;
      end $fn$;
      create function ${s}.task_counts_move() returns trigger language plpgsql as $fn$
      begin
        insert into ${s}.task_counts as c (tenant, context_id, state, total)
          select tenant, context_id, state, sum(delta) from (
            select o.tenant, '' as context_id, o.state, -1 as delta
              from old_rows o join new_rows n using (task_id) where o.state <> n.state
            union all select o.tenant, o.context_id, o.state, -1
              from old_rows o join new_rows n using (task_id) where o.state <> n.state
            union all select n.tenant, '', n.state, 1
              from old_rows o join new_rows n using (task_id) where o.state <> n.state
            union all select n.tenant, n.context_id, n.state, 1
              from old_rows o join new_rows n using (task_id) where o.state <> n.state
          ) x group by 1, 2, 3 order by 1, 2, 3
        on conflict (tenant, context_id, state) do update set total = c.total + excluded.total;
        return null;
      end $fn$;
      create trigger task_counts_on_insert after insert on ${s}.task_view
        referencing new table as new_rows for each statement execute function ${s}.task_counts_add();
      create trigger task_counts_on_update after update on ${s}.task_view
        referencing old table as old_rows new table as new_rows
        for each statement execute function ${s}.task_counts_move();
      insert into ${s}.task_counts (tenant, context_id, state, total)
        select tenant, '', state, count(*) from ${s}.task_view group by 1, 3
        union all select tenant, context_id, state, count(*) from ${s}.task_view group by 1, 2, 3;`,
  },
];

/** Creates or updates the task view's tables (`migrate` and the gateway's start). */
export async function migrateTaskView(client: SqlClient, schema: string): Promise<void> {
  await migrate(client, schema, { table: 'task_view_migrations', migrations: viewMigrations });
}

/** The task view in the gateway's database (PostgreSQL or PGlite), beside the events. */
export async function createSqlTaskView(client: SqlClient, schema: string): Promise<TaskView> {
  await migrateTaskView(client, schema);
  return openTaskView(client, schema, `${schema}.task_view`);
}

/**
 * The view over `table`, a table shaped like `task_view`: the live one, or one being rebuilt
 * beside it (task-view-rebuild.ts), whose writes only `applyBatch` makes.
 */
export function openTaskView(client: SqlClient, schema: string, table: string): TaskView {
  const cache = new Map<string, TaskAggregate>();

  function remember(task: TaskAggregate): void {
    cache.delete(task.id);
    cache.set(task.id, task);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }

  async function loadMany(taskIds: string[]): Promise<TaskAggregate[]> {
    const rows = await client.query<{ task: TaskAggregate }>({
      text: `select task from ${table} where task_id = any ($1::text[])`,
      values: [taskIds],
    });
    return rows.map((row) => row.task);
  }

  function row(task: TaskAggregate) {
    return {
      task_id: task.id,
      tenant: task.tenant,
      context_id: task.contextId,
      agent: task.agent,
      state: task.status.state,
      status_at: task.status.timestamp ?? new Date(0).toISOString(),
      version: task.version,
      position: task.position,
      task,
    };
  }

  // The planner picks the list queries' indexes from table statistics. Grown since they were
  // taken, a filtered page plans as a scan and sort of every matching row, slower with every
  // task (measured: ListTasks by status 5 → 29 ms at 20,000 tasks; 0.07 ms once analysed).
  // PostgreSQL's autovacuum catches up within minutes; PGlite has none: refresh them here.
  let changedSinceAnalyze = 0;
  let analyzedAt = 0;
  async function keepStatisticsFresh(changedRows: number): Promise<void> {
    changedSinceAnalyze += changedRows;
    if (changedSinceAnalyze < Math.max(ANALYZE_AFTER_ROWS, analyzedAt / 5)) return;
    analyzedAt += changedSinceAnalyze;
    changedSinceAnalyze = 0;
    await client.query({ text: `analyze ${table}`, values: [] });
  }

  /** From the kept counts, except for a time filter, which counts its index range. */
  async function countTasks(query: TaskListQuery, filter: string, values: unknown[]) {
    if (query.statusTimestampAfter) {
      const [row] = await client.query<{ total: number }>({
        text: `select count(*)::int as total from ${table} where ${filter}`,
        values,
      });
      return Number(row?.total ?? 0);
    }
    const [row] = await client.query<{ total: number | null }>({
      text: `select sum(total)::bigint as total from ${schema}.task_counts
        where tenant = $1 and context_id = $2 ${query.state ? 'and state = $3' : ''}`,
      values: [query.tenant, query.contextId ?? '', ...(query.state ? [query.state] : [])],
    });
    return Number(row?.total ?? 0);
  }

  const view: TaskView = {
    async applyBatch(events) {
      const records = events.filter((event) => isTaskEventType(event.type));
      if (records.length === 0) return;
      const idOf = (event: StoredEvent) => event.streamId.slice('task-'.length);
      // Tasks whose cached copy does not end right before this batch's first event of them.
      const firsts = new Map<string, number>();
      for (const event of records)
        if (!firsts.has(idOf(event))) firsts.set(idOf(event), event.streamVersion);
      const working = new Map<string, TaskAggregate>();
      const unknown: string[] = [];
      for (const [id, version] of firsts) {
        const cached = cache.get(id);
        if (cached?.version === version - 1) working.set(id, cached);
        else if (version > 1) unknown.push(id);
      }
      if (unknown.length > 0) {
        for (const task of await loadMany(unknown)) working.set(task.id, task);
      }
      const changed = new Map<string, TaskAggregate>();
      for (const event of records) {
        const id = idOf(event);
        const previous = working.get(id);
        if (event.type === 'task.submitted') {
          if (previous) continue; // folded before: at-least-once delivery repeats
        } else {
          if (!previous || previous.version >= event.streamVersion) continue;
          if (previous.version !== event.streamVersion - 1) {
            throw new Error(
              `task view of ${id} is at ${previous.version}, got ${event.streamVersion}`,
            );
          }
        }
        const next = foldStored(previous, event);
        working.set(id, next);
        changed.set(id, next);
      }
      if (changed.size === 0) return;
      await client.query({
        text: `insert into ${table} (task_id, tenant, context_id, agent, state, status_at, version, position, task)
          select x.task_id, x.tenant, x.context_id, x.agent, x.state, x.status_at, x.version, x.position, x.task
          from jsonb_to_recordset($1::jsonb) as x (task_id text, tenant text, context_id text, agent text,
            state text, status_at timestamptz, version bigint, position bigint, task jsonb)
          on conflict (task_id) do update set state = excluded.state, status_at = excluded.status_at,
            version = excluded.version, position = excluded.position, task = excluded.task
          where ${table}.version < excluded.version`,
        values: [JSON.stringify([...changed.values()].map(row))],
      });
      for (const task of changed.values()) remember(task);
      await keepStatisticsFresh(changed.size);
    },

    async get(taskId, tenant) {
      const [row] = await client.query<{ task: TaskAggregate }>({
        text: `select task from ${table} where task_id = $1 and tenant = $2`,
        values: [taskId, tenant],
      });
      return row?.task;
    },

    async list(query) {
      const { filter, values } = listFilter(table, query);
      const cursor = query.pageToken ? decodePageToken(query.pageToken) : undefined;
      const pageValues = [...values];
      let where = filter;
      if (cursor) {
        pageValues.push(cursor.at, cursor.id);
        where += ` and (status_at, task_id) < ($${pageValues.length - 1}::timestamptz, $${pageValues.length})`;
      }
      pageValues.push(query.pageSize + 1);
      const [rows, total] = await Promise.all([
        client.query<{ task: TaskAggregate; status_at: Date | string }>({
          text: `select task, status_at from ${table} where ${where}
            order by status_at desc, task_id desc limit $${pageValues.length}`,
          values: pageValues,
        }),
        countTasks(query, filter, values),
      ]);
      const page = rows.slice(0, query.pageSize);
      const last = rows.length > query.pageSize ? page[page.length - 1] : undefined;
      return {
        tasks: page.map((row) => row.task),
        nextPageToken: last
          ? encodePageToken(new Date(last.status_at).toISOString(), last.task.id)
          : '',
        totalSize: total,
      };
    },

    async unsettled() {
      const rows = await client.query<{ task: TaskAggregate }>({
        text: `select task from ${table} where state in ('TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING')
          order by position`,
        values: [],
      });
      return rows.map((row) => row.task);
    },

    async countByState() {
      const rows = await client.query<{ state: string; total: number | string }>({
        text: `select state, sum(total)::bigint as total from ${schema}.task_counts
          where context_id = '' group by state`,
        values: [],
      });
      return Object.fromEntries(rows.map((row) => [row.state, Number(row.total)]));
    },

    async redactTenant(tenant, redact) {
      for (const [id, task] of cache) if (task.tenant === tenant) cache.delete(id);
      const rows = await client.query<{ task: TaskAggregate }>({
        text: `select task from ${table} where tenant = $1`,
        values: [tenant],
      });
      if (rows.length === 0) return 0;
      // Only the task changes: the counts' triggers see the same states.
      await client.query({
        text: `update ${table} v set task = x.task
          from jsonb_to_recordset($1::jsonb) as x (task_id text, task jsonb)
          where v.task_id = x.task_id and v.tenant = $2`,
        values: [
          JSON.stringify(rows.map((row) => ({ task_id: row.task.id, task: redact(row.task) }))),
          tenant,
        ],
      });
      return rows.length;
    },
  };
  return view;
}

function listFilter(table: string, query: TaskListQuery): Query & { filter: string } {
  const values: unknown[] = [query.tenant];
  const where = ['tenant = $1'];
  if (query.contextId) {
    values.push(query.contextId);
    where.push(`context_id = $${values.length}`);
  }
  if (query.state) {
    values.push(query.state);
    where.push(`state = $${values.length}`);
  }
  if (query.statusTimestampAfter) {
    values.push(query.statusTimestampAfter);
    where.push(`status_at >= $${values.length}::timestamptz`);
  }
  return { text: table, filter: where.join(' and '), values };
}

function encodePageToken(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

/** A token this server did not make is a client error naming the field. */
function decodePageToken(token: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at)))
      return { at, id };
  } catch {}
  throw new InvalidTaskRequestError('pageToken', 'pageToken is not a token this server returned');
}
