import type { StoredEvent } from '../../events/index.js';
import type { GlobalReadOptions, ReadStreamOptions } from '../event-store.js';
import type { PreparedEvent } from '../prepare-append.js';
import type { EventFilter } from '../stable-reader.js';
import { POSITION_SHIFT, streamLockStatement } from './schema.js';

/** A parameterised statement; every query of both SQL adapters is built by these functions. */
export interface Query {
  text: string;
  values: unknown[];
  /**
   * Hot statements get a name so PostgreSQL parses and plans them once per connection.
   * The name must be unique per distinct text (it includes the schema).
   */
  name?: string;
}

const EVENT_COLUMNS = `global_position, event_id, stream_id, stream_version, type, schema_version,
  occurred_at, correlation_id, causation_id, metadata, data`;

/** Every position below this is final: see the note in schema.ts. */
const STABLE_HORIZON = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${POSITION_SHIFT})`;

export interface AppendRequest {
  streamId: string;
  /** The expected version as the SQL function reads it: a number, any, no_stream… */
  expected: string;
  events: readonly PreparedEvent[];
}

/** One statement for one or several appends (see es_append in schema.ts). */
export function appendEvents(schema: string, appends: readonly AppendRequest[]): Query {
  const payload = appends.map((append) => ({
    stream_id: append.streamId,
    expected: append.expected,
    ids: append.events.map((event) => event.id),
    events: append.events.map((event) => ({
      id: event.id,
      type: event.type,
      schema_version: event.schemaVersion,
      occurred_at: event.timestamp,
      correlation_id: event.correlationId,
      causation_id: event.causationId,
      metadata: event.metadata,
      data: event.data,
    })),
  }));
  return {
    name: `es_append:${schema}`,
    text: `select append_index, status, stream_version, global_position from ${schema}.es_append($1::jsonb)`,
    values: [JSON.stringify(payload)],
  };
}

export function readStream(
  schema: string,
  streamId: string,
  options: ReadStreamOptions,
  limit: number,
): Query {
  const backwards = options.direction === 'backwards';
  const from = options.fromVersion ?? (backwards ? Number.MAX_SAFE_INTEGER : 1);
  const to = options.toVersion ?? (backwards ? 1 : Number.MAX_SAFE_INTEGER);
  const [low, high] = backwards ? [to, from] : [from, to];
  return {
    text: `select ${EVENT_COLUMNS} from ${schema}.es_events
      where stream_id = $1 and stream_version between $2 and $3
      order by stream_version ${backwards ? 'desc' : 'asc'} limit $4`,
    values: [streamId, low, high, limit],
  };
}

/** Store-wide reads; `extra` adds one more condition on the parameter after the filters. */
export function readGlobal(
  schema: string,
  options: GlobalReadOptions,
  limit: number,
  extra?: { condition: (param: (value: unknown) => string) => string },
): Query {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = [`global_position > ${param(options.after ?? 0)}`];
  where.push(...filterConditions({ types: options.types, tenant: options.tenant }, param));
  if (extra) where.push(extra.condition(param));
  return {
    text: `select ${EVENT_COLUMNS} from ${schema}.es_events where ${where.join(' and ')}
      order by global_position limit ${param(limit)}`,
    values,
  };
}

export function readStable(
  schema: string,
  after: number,
  limit: number,
  filter: EventFilter | undefined,
  upTo: number | undefined,
): Query {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = [`global_position > ${param(after)}`, `global_position < ${STABLE_HORIZON}`];
  if (upTo !== undefined) where.push(`global_position <= ${param(upTo)}`);
  if (filter) where.push(...filterConditions(filter, param));
  return {
    text: `select ${EVENT_COLUMNS} from ${schema}.es_events where ${where.join(' and ')}
      order by global_position limit ${param(limit)}`,
    values,
  };
}

/** Positions only of the stable events after `after`: what a follower holds it need not decode. */
export function readStablePositions(schema: string, after: number, limit: number): Query {
  return {
    name: `es_stable_positions:${schema}`,
    text: `select global_position from ${schema}.es_events
      where global_position > $1 and global_position < ${STABLE_HORIZON}
      order by global_position limit $2`,
    values: [after, limit],
  };
}

export function readPositions(schema: string, positions: readonly number[]): Query {
  return {
    text: `select ${EVENT_COLUMNS} from ${schema}.es_events
      where global_position = any ($1::bigint[]) order by global_position`,
    values: [positions],
  };
}

export function headPosition(schema: string): Query {
  return { text: `select max(global_position) as head from ${schema}.es_events`, values: [] };
}

export function stableHead(): Query {
  return { text: `select ${STABLE_HORIZON} - 1 as head`, values: [] };
}

function filterConditions(filter: EventFilter, param: (value: unknown) => string): string[] {
  const where: string[] = [];
  if (filter.streamId !== undefined) where.push(`stream_id = ${param(filter.streamId)}`);
  if (filter.tenant !== undefined) where.push(`tenant = ${param(filter.tenant)}`);
  if (filter.types && filter.types.length > 0)
    where.push(`type = any (${param(filter.types)}::text[])`);
  return where;
}

export function streamInfo(schema: string, streamId: string): Query {
  return {
    text: `select stream_id, version, created_at, updated_at from ${schema}.es_streams where stream_id = $1`,
    values: [streamId],
  };
}

export function saveSnapshot(
  schema: string,
  streamId: string,
  version: number,
  state: unknown,
): Query {
  return {
    text: `insert into ${schema}.es_snapshots as s (stream_id, version, state, saved_at)
      values ($1, $2, $3::jsonb, now())
      on conflict (stream_id) do update set version = excluded.version, state = excluded.state,
        saved_at = excluded.saved_at
      where s.version <= excluded.version`,
    values: [streamId, version, JSON.stringify(state)],
  };
}

export function loadSnapshot(schema: string, streamId: string): Query {
  return {
    text: `select stream_id, version, state, saved_at from ${schema}.es_snapshots where stream_id = $1`,
    values: [streamId],
  };
}

export function saveCheckpoint(schema: string, name: string, position: number): Query {
  return {
    text: `insert into ${schema}.es_checkpoints (name, position, updated_at) values ($1, $2, now())
      on conflict (name) do update set position = excluded.position, updated_at = excluded.updated_at`,
    values: [name, position],
  };
}

export function loadCheckpoint(schema: string, name: string): Query {
  return {
    text: `select position from ${schema}.es_checkpoints where name = $1`,
    values: [name],
  };
}

/**
 * A notification needs no durability (after a crash nobody is listening), so its transaction
 * does not wait for the WAL flush: NOTIFY assigns a transaction id and would otherwise cost a
 * synchronous commit each time.
 */
export function notify(channel: string, payload: string): Query {
  return {
    name: 'es_notify',
    text: `select set_config('synchronous_commit', 'off', true), pg_notify($1, $2)`,
    values: [channel, payload],
  };
}

/** Retention: a stream's events, version and snapshot, under the stream's append lock. */
export function deleteStream(schema: string, streamId: string): Query[] {
  return [
    { text: streamLockStatement(schema), values: [streamId] },
    {
      text: `with gone as (delete from ${schema}.es_events where stream_id = $1 returning 1)
        select count(*)::int as deleted from gone`,
      values: [streamId],
    },
    { text: `delete from ${schema}.es_streams where stream_id = $1`, values: [streamId] },
    { text: `delete from ${schema}.es_snapshots where stream_id = $1`, values: [streamId] },
  ];
}

/** A restored archive: events inserted as they were, each stream's row brought up to them. */
export function importEvents(schema: string, events: readonly StoredEvent[]): Query[] {
  const rows = events.map((event) => ({
    global_position: event.globalPosition,
    event_id: event.id,
    stream_id: event.streamId,
    stream_version: event.streamVersion,
    type: event.type,
    schema_version: event.schemaVersion,
    occurred_at: event.timestamp,
    correlation_id: event.correlationId,
    causation_id: event.causationId,
    metadata: event.metadata,
    data: event.data,
  }));
  const streams = [...new Set(events.map((event) => event.streamId))].sort();
  return [
    ...streams.map((streamId) => ({ text: streamLockStatement(schema), values: [streamId] })),
    {
      text: `insert into ${schema}.es_events (global_position, event_id, stream_id, stream_version,
          type, schema_version, occurred_at, correlation_id, causation_id, tenant, metadata, data)
        select x.global_position, x.event_id, x.stream_id, x.stream_version, x.type,
          x.schema_version, x.occurred_at, x.correlation_id, x.causation_id,
          x.metadata ->> 'tenant', x.metadata, x.data
        from jsonb_to_recordset($1::jsonb) as x (global_position bigint, event_id uuid,
          stream_id text, stream_version bigint, type text, schema_version integer,
          occurred_at timestamptz, correlation_id text, causation_id text, metadata jsonb,
          data jsonb)`,
      values: [JSON.stringify(rows)],
    },
    {
      text: `insert into ${schema}.es_streams as st (stream_id, version, created_at, updated_at)
        select stream_id, max(stream_version), min(occurred_at), max(occurred_at)
          from ${schema}.es_events where stream_id = any ($1::text[]) group by stream_id
        on conflict (stream_id) do update set version = excluded.version,
          created_at = excluded.created_at, updated_at = excluded.updated_at`,
      values: [streams],
    },
  ];
}
