import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create('/tmp/mb/g' + Date.now());
await db.exec('create table t (id serial primary key, v text)');
async function time(label: string, n: number, fn: () => Promise<unknown>) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const cpu = process.cpuUsage(c0);
  console.log(label.padEnd(40), ((cpu.user + cpu.system) / 1000 / n).toFixed(3), 'ms cpu/stmt');
}
await time('insert 1 row', 3000, () => db.query("insert into t (v) values ('x')"));
await time('select 1', 3000, () => db.query("select 1"));
await db.exec("set synchronous_commit = off");
await time('insert 1 row, sync commit off', 3000, () => db.query("insert into t (v) values ('x')"));
await db.close();
