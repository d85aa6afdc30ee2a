import { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { prepareAppend } from './src/store/prepare-append.js';
import { appendEvents } from './src/store/sql/queries.js';
import { migrations } from './src/store/sql/schema.js';
const db = await PGlite.create('/tmp/mb/i' + Date.now());
const base = migrations[0]!.sql('SCHEMA');
const variants: Record<string, string> = {
  v0: base,
  v1: base.replaceAll('set enable_seqscan = off', ''),
  v3: base.replaceAll('set enable_seqscan = off', '').replace('language plpgsql as $fn$\n#variable_conflict use_column\ndeclare\n  v_append jsonb;', "language plpgsql as $fn$\n#variable_conflict use_column\ndeclare\n  v_seq text := set_config('enable_seqscan', 'off', true);\n  v_append jsonb;"),
  v2: base.replaceAll('set enable_seqscan = off', '').replace(/perform pg_advisory_xact_lock[\s\S]*?order by 1\) k;/, ''),
};
for (const [name, sql] of Object.entries(variants)) await db.exec(`create schema ${name};` + sql.replaceAll('SCHEMA', name));
const ev = (id: string) => prepareAppend(`task-${id}`, [{ type: 'task.submitted', data: { taskId: id, contextId: id, agent: 'echo', message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text: 'hello' }], taskId: id, contextId: id } }, correlationId: 'c' }], 'no_stream', { now: () => new Date() });
async function time(label: string, n: number, fn: () => Promise<unknown>) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const cpu = process.cpuUsage(c0);
  console.log(label.padEnd(40), ((cpu.user + cpu.system) / 1000 / n).toFixed(3), 'ms cpu/stmt');
}
for (const g of [1, 8]) for (const name of Object.keys(variants)) {
  const groups = () => Array.from({ length: g }, () => { const id = randomUUID(); return { streamId: `task-${id}`, expected: 'no_stream', events: ev(id) }; });
  await time(`${name} group ${g}`, 400, () => { const q = appendEvents(name, groups()); return db.query(q.text, q.values); });
}
await time('select 1', 1000, () => db.query('select 1'));
await db.close();
