/**
 * The SQL schema shared by the PostgreSQL and PGlite adapters, as versioned migrations.
 *
 * Why global positions are `transaction id * 2^16 + ordinal`
 * ----------------------------------------------------------
 * A follower reading "events after position p" must never skip an event. With a plain
 * sequence it would: transaction A takes position 10, B takes 11, B commits first, the
 * follower reads 11 and moves past 10 before A commits. Serialising appends behind one lock
 * would fix that at the price of one commit at a time (measured here: ~4,400 appends/s at
 * most, against ~13,000 without).
 *
 * Instead the position is derived from the appending transaction's id. `pg_snapshot_xmin`
 * of a fresh snapshot is the oldest transaction still running; every transaction with a
 * smaller id has ended, and every transaction that starts later gets a larger id. So the
 * events below `xmin * 2^16` form a final prefix of the order: nothing can still commit
 * inside it. Followers read only that prefix (`readStable`), their cursor moves forward
 * only, and they neither skip nor repeat. A transaction that stays open holds followers back
 * until it ends; that is the price, and it is paid in milliseconds for appends.
 *
 * Within one stream a per-stream advisory lock is taken before the first write, so a later
 * append of the same stream gets a larger transaction id: stream order and global order agree.
 *
 * Positions stay exact JavaScript numbers up to transaction id 2^37 (~137 billion).
 */
export interface Migration {
  version: number;
  name: string;
  sql: (schema: string) => string;
}

export const POSITION_SHIFT = 65_536;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'event store',
    sql: (s) => `
create table ${s}.es_streams (
  stream_id text primary key,
  version bigint not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);

create table ${s}.es_events (
  global_position bigint primary key,
  event_id uuid not null,
  stream_id text not null,
  stream_version bigint not null,
  type text not null,
  schema_version integer not null,
  occurred_at timestamptz not null,
  correlation_id text not null,
  causation_id text,
  tenant text,
  metadata jsonb not null,
  data jsonb not null,
  constraint es_events_event_id_key unique (event_id),
  constraint es_events_stream_version_key unique (stream_id, stream_version)
);
create index es_events_correlation_idx on ${s}.es_events (correlation_id);
-- Timestamps grow with positions, so a BRIN index answers time ranges at almost no write cost.
create index es_events_occurred_at_idx on ${s}.es_events using brin (occurred_at);

create table ${s}.es_snapshots (
  stream_id text primary key,
  version bigint not null,
  state jsonb not null,
  saved_at timestamptz not null default now()
);

create table ${s}.es_checkpoints (
  name text primary key,
  position bigint not null,
  updated_at timestamptz not null default now()
);

-- Rows of an earlier append whose ids are all in p_ids: 'duplicate' rows when it was this very
-- batch in this stream, one 'partial_duplicate' row when the ids match only in part.
create function ${s}.es_existing(p_stream_id text, p_ids uuid[])
returns table (status text, stream_version bigint, global_position bigint)
language plpgsql stable
set enable_seqscan = off
as $fn$
#variable_conflict use_column
declare
  v_found integer;
  v_same boolean;
begin
  select count(*), coalesce(bool_and(e.stream_id = p_stream_id), true) into v_found, v_same
    from ${s}.es_events e where e.event_id = any (p_ids);
  if v_found = 0 then
    return;
  end if;
  if v_found = cardinality(p_ids) and v_same then
    return query select 'duplicate'::text, e.stream_version, e.global_position
      from ${s}.es_events e where e.event_id = any (p_ids) order by e.global_position;
  else
    return query select 'partial_duplicate'::text, null::bigint, null::bigint;
  end if;
end
$fn$;

-- PL/pgSQL caches a generic plan per statement after a few calls. Made while the tables are
-- still small it would scan them, and keep scanning as they grow (measured: appends slowed
-- fourfold by 26,000 events). Every lookup here has its index, so sequential scans are off.

-- The body of one append, once its stream is locked. Returns 'appended' rows, the
-- 'duplicate' rows of an earlier identical append, 'partial_duplicate', or one 'conflict' row
-- carrying the actual version. Positions continue from p_ordinal (events of this transaction
-- appended before).
create function ${s}.es_append_locked(p_stream_id text, p_expected text, p_ids uuid[],
  p_events jsonb, p_ordinal integer)
returns table (status text, stream_version bigint, global_position bigint)
language plpgsql
set enable_seqscan = off
as $fn$
#variable_conflict use_column
declare
  v_count integer := cardinality(p_ids);
  v_first_at timestamptz := (p_events -> 0 ->> 'occurred_at')::timestamptz;
  v_last_at timestamptz := (p_events -> (v_count - 1) ->> 'occurred_at')::timestamptz;
begin
  if exists (select 1 from ${s}.es_events e where e.event_id = any (p_ids)) then
    return query select * from ${s}.es_existing(p_stream_id, p_ids);
    return;
  end if;

  -- One statement claims the versions and inserts the events; a stream whose version is not
  -- the expected one claims nothing, inserts nothing and falls through to 'conflict'.
  if p_expected = 'any' then
    ${claimAndInsert(
      s,
      `insert into ${s}.es_streams as st (stream_id, version, created_at, updated_at)
      values (p_stream_id, v_count, v_first_at, v_last_at)
      on conflict (stream_id) do update set version = st.version + v_count, updated_at = v_last_at
      returning st.version - v_count as before`,
    )}
  elsif p_expected = 'no_stream' or p_expected = '0' then
    ${claimAndInsert(
      s,
      `insert into ${s}.es_streams (stream_id, version, created_at, updated_at)
      values (p_stream_id, v_count, v_first_at, v_last_at)
      on conflict (stream_id) do nothing
      returning 0::bigint as before`,
    )}
  elsif p_expected = 'stream_exists' then
    ${claimAndInsert(
      s,
      `update ${s}.es_streams st set version = st.version + v_count, updated_at = v_last_at
      where st.stream_id = p_stream_id
      returning st.version - v_count as before`,
    )}
  else
    ${claimAndInsert(
      s,
      `update ${s}.es_streams st set version = st.version + v_count, updated_at = v_last_at
      where st.stream_id = p_stream_id and st.version = p_expected::bigint
      returning st.version - v_count as before`,
    )}
  end if;

  if not found then
    return query select 'conflict'::text,
      coalesce((select st.version from ${s}.es_streams st where st.stream_id = p_stream_id), 0),
      null::bigint;
  end if;
end
$fn$;

${esAppend(s, false)}`,
  },
  {
    version: 2,
    name: 'append: one planner setting per transaction',
    // A function's own SET clause costs a settings save and restore on every call: measured
    // on PGlite, 0.9 ms of a 2.2 ms single append. The guard against sequential scans (see
    // above) now comes once, for the transaction, from es_append.
    sql: (s) => `
alter function ${s}.es_existing(text, uuid[]) reset enable_seqscan;
alter function ${s}.es_append_locked(text, text, uuid[], jsonb, integer) reset enable_seqscan;
${esAppend(s, true)}`,
  },
];

const SEQSCAN_OFF = `  perform set_config('enable_seqscan', 'off', true);
`;

/**
 * The append entry point. `guarded` (migration 2) turns sequential scans off for the
 * transaction instead of in each inner function's SET clause.
 */
function esAppend(s: string, guarded: boolean): string {
  return `-- One round trip, one transaction, for one append or for several independent ones that
-- arrived together (group commit, see append-batcher.ts): each still succeeds or conflicts
-- on its own; only a database failure fails them all.
${guarded ? 'create or replace' : 'create'} function ${s}.es_append(p_appends jsonb)
returns table (append_index integer, status text, stream_version bigint, global_position bigint)
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_append jsonb;
  v_index integer := 0;
  v_ordinal integer := 0;
  v_row record;
begin
${guarded ? SEQSCAN_OFF : ''}  -- Every stream is locked before the first write, so this transaction's id (its positions)
  -- is assigned only after the previous append of each stream committed: stream order and
  -- global order agree. Advisory locks assign no id. Locking in key order keeps concurrent
  -- groups free of deadlocks.
  perform pg_advisory_xact_lock(${lockNamespace(s)}, k.key)
    from (select distinct hashtext(a ->> 'stream_id') as key
            from jsonb_array_elements(p_appends) a order by 1) k;

  if jsonb_array_length(p_appends) = 1 then
    v_append := p_appends -> 0;
    return query select 0, r.status, r.stream_version, r.global_position
      from ${s}.es_append_locked(v_append ->> 'stream_id', v_append ->> 'expected',
        array(select jsonb_array_elements_text(v_append -> 'ids')::uuid), v_append -> 'events', 0) r;
    return;
  end if;

  for v_append in select a from jsonb_array_elements(p_appends) a loop
    for v_row in select * from ${s}.es_append_locked(v_append ->> 'stream_id',
        v_append ->> 'expected',
        array(select jsonb_array_elements_text(v_append -> 'ids')::uuid),
        v_append -> 'events', v_ordinal) loop
      append_index := v_index;
      status := v_row.status;
      stream_version := v_row.stream_version;
      global_position := v_row.global_position;
      return next;
      if v_row.status = 'appended' then
        v_ordinal := v_ordinal + 1;
      end if;
    end loop;
    v_index := v_index + 1;
  end loop;
end
$fn$;
`;
}

/** The statement that claims stream versions with `claim` and inserts the events after them. */
function claimAndInsert(s: string, claim: string): string {
  return `return query
    with claimed as (${claim}),
    inserted as (
      insert into ${s}.es_events as e (global_position, event_id, stream_id, stream_version,
        type, schema_version, occurred_at, correlation_id, causation_id, tenant, metadata, data)
      select pg_current_xact_id()::text::bigint * ${POSITION_SHIFT} + p_ordinal + x.ord, x.id,
        p_stream_id, c.before + x.ord, x.type, x.schema_version, x.occurred_at,
        x.correlation_id, x.causation_id, x.metadata ->> 'tenant', x.metadata, x.data
      from claimed c cross join rows from (jsonb_to_recordset(p_events) as (id uuid, type text,
        schema_version integer, occurred_at timestamptz, correlation_id text,
        causation_id text, metadata jsonb, data jsonb))
        with ordinality as x (id, type, schema_version, occurred_at, correlation_id,
          causation_id, metadata, data, ord)
      returning e.stream_version, e.global_position
    )
    select 'appended'::text, i.stream_version, i.global_position from inserted i
      order by i.global_position;`;
}

/** Keeps our advisory locks apart from anyone else's in the same database. */
function lockNamespace(schema: string): number {
  let hash = 0x2a2a;
  for (const char of `es:${schema}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

/** The statement that takes a stream's append lock (es_append's) for the transaction. */
export function streamLockStatement(schema: string): string {
  return `select pg_advisory_xact_lock(${lockNamespace(schema)}, hashtext($1))`;
}

export function migrationLockKey(schema: string): number {
  return lockNamespace(`migrate:${schema}`);
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
    throw new Error(
      `invalid schema name ${JSON.stringify(schema)}: use [a-z_][a-z0-9_]*, not starting with pg_`,
    );
  }
  return schema;
}
