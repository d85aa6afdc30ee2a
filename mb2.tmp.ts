import { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { createPgliteEventStore } from './src/store/index.js';
import { prepareAppend } from './src/store/prepare-append.js';
import { appendEvents } from './src/store/sql/queries.js';
const db = await PGlite.create('/tmp/mb/e' + Date.now());
const store = await createPgliteEventStore({ pglite: db, schema: 'mb' });
await db.exec(`create table mb.raw (like mb.es_events including all)`);
const ev = (id: string) => prepareAppend(`task-${id}`, [{ type: 'task.submitted', data: { taskId: id, contextId: id, agent: 'echo', message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text: 'hello' }], taskId: id, contextId: id } }, correlationId: 'c' }], 'no_stream', { now: () => new Date() });
async function time(label: string, n: number, fn: () => Promise<unknown>) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const cpu = process.cpuUsage(c0);
  console.log(label.padEnd(40), ((cpu.user + cpu.system) / 1000 / n).toFixed(3), 'ms cpu/stmt', ((performance.now() - t0) / n).toFixed(3), 'ms wall');
}
let pos = 1;
for (const g of [1, 8]) {
  await time(`es_append group ${g}`, 400, () => {
    const q = appendEvents('mb', Array.from({ length: g }, () => { const id = randomUUID(); return { streamId: `task-${id}`, expected: 'no_stream', events: ev(id) }; }));
    return db.query(q.text, q.values);
  });
  await time(`raw insert ${g} rows`, 400, () => {
    const rows = Array.from({ length: g }, () => { const id = randomUUID(); const e = ev(id)[0]!; return { ...e, p: pos++, s: `task-${id}` }; });
    return db.query(`insert into mb.raw (global_position, event_id, stream_id, stream_version, type, schema_version, occurred_at, correlation_id, causation_id, tenant, metadata, data)
      select x.p, x.id, x.s, 1, x.type, 1, x.timestamp, x."correlationId", null, null, x.metadata, x.data from jsonb_to_recordset($1::jsonb) as x(p bigint, id uuid, s text, type text, timestamp timestamptz, "correlationId" text, metadata jsonb, data jsonb)`, [JSON.stringify(rows)]);
  });
}
await time('select 1', 1000, () => db.query('select 1'));
await time('select now() trivial plpgsql-free', 1000, () => db.query('select now()'));
await store.close(); await db.close();
