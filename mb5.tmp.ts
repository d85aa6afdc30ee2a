import { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { createPgliteEventStore } from './src/store/index.js';
import { prepareAppend } from './src/store/prepare-append.js';
import { appendEvents } from './src/store/sql/queries.js';
const db = await PGlite.create('/tmp/mb/h' + Date.now());
const store = await createPgliteEventStore({ pglite: db, schema: 'mb' });
const S = 65536;
await db.exec(`
create function mb.es_append3(p_streams text[], p_expected text[], p_counts int[], p_ids uuid[], p_events jsonb)
returns table (append_index integer, status text, stream_version bigint, global_position bigint)
language sql as $fn$
  with input as (
    select (a.ord - 1)::int as idx, a.sid, a.exp, a.n,
      coalesce(sum(a.n) over (order by a.ord rows between unbounded preceding and 1 preceding), 0) as first
    from unnest(p_streams, p_expected, p_counts) with ordinality as a(sid, exp, n, ord)
  ),
  decided as (
    select i.*, coalesce(s.version, 0) as cur,
      case i.exp when 'any' then true when 'no_stream' then s.version is null when '0' then s.version is null
        when 'stream_exists' then s.version is not null else coalesce(s.version, 0) = i.exp::bigint end as ok
    from input i left join mb.es_streams s on s.stream_id = i.sid
  ),
  placed as (
    select d.*, coalesce(sum(d.n) filter (where d.ok) over (order by d.idx rows between unbounded preceding and 1 preceding), 0) as before
    from decided d
  ),
  events as (
    select p.idx, p.sid, p.cur + (e.ord - p.first) as version,
      pg_current_xact_id()::text::bigint * ${S} + p.before + (e.ord - p.first) as position,
      p_ids[e.ord] as id, e.type, e.schema_version, e.occurred_at, e.correlation_id, e.causation_id, e.metadata, e.data
    from placed p join rows from (jsonb_to_recordset(p_events) as (type text,
      schema_version integer, occurred_at timestamptz, correlation_id text, causation_id text, metadata jsonb, data jsonb))
      with ordinality as e(type, schema_version, occurred_at, correlation_id, causation_id, metadata, data, ord)
      on e.ord > p.first and e.ord <= p.first + p.n
    where p.ok
  ),
  streams as (
    insert into mb.es_streams as st (stream_id, version, created_at, updated_at)
    select p.sid, p.cur + p.n, now(), now()
    from placed p where p.ok
    on conflict (stream_id) do update set version = excluded.version, updated_at = excluded.updated_at
  ),
  inserted as (
    insert into mb.es_events (global_position, event_id, stream_id, stream_version, type, schema_version,
      occurred_at, correlation_id, causation_id, tenant, metadata, data)
    select position, id, sid, version, type, schema_version, occurred_at, correlation_id, causation_id,
      metadata ->> 'tenant', metadata, data from events
  )
  select e.idx, 'appended', e.version, e.position from events e
  union all
  select p.idx, 'conflict', p.cur, null from placed p where not p.ok
  order by 1, 4
$fn$;`);
const ev = (id: string) => prepareAppend(`task-${id}`, [{ type: 'task.submitted', data: { taskId: id, contextId: id, agent: 'echo', message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text: 'hello' }], taskId: id, contextId: id } }, correlationId: 'c' }], 'no_stream', { now: () => new Date() });
async function time(label: string, n: number, fn: () => Promise<unknown>) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const cpu = process.cpuUsage(c0);
  console.log(label.padEnd(40), ((cpu.user + cpu.system) / 1000 / n).toFixed(3), 'ms cpu/stmt');
}
for (const g of [1, 8, 16]) {
  const groups = () => Array.from({ length: g }, () => { const id = randomUUID(); return { streamId: `task-${id}`, expected: 'no_stream', events: ev(id) }; });
  await time(`es_append group ${g}`, 300, () => { const q = appendEvents('mb', groups()); return db.query(q.text, q.values); });
  await time(`es_append3 group ${g}`, 300, () => {
    const gs = groups();
    const evs = gs.flatMap((a) => a.events);
    return db.query(`select * from mb.es_append3($1, $2, $3, $4, $5::jsonb)`, [gs.map((a) => a.streamId), gs.map((a) => a.expected), gs.map((a) => a.events.length), evs.map((e) => e.id),
      JSON.stringify(evs.map((e) => ({ type: e.type, schema_version: e.schemaVersion, occurred_at: e.timestamp, correlation_id: e.correlationId, causation_id: e.causationId, metadata: e.metadata, data: e.data })))]);
  });
}
await store.close(); await db.close();
