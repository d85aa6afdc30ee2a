import { PGlite } from '@electric-sql/pglite';
import { createPgliteEventStore } from './src/store/index.js';
import { createGatewayRegistry } from './src/gateway-registry.js';
import { randomUUID } from 'node:crypto';
const db = await PGlite.create('/tmp/mb/d' + Date.now());
const store = await createPgliteEventStore({ pglite: db, schema: 'mb', registry: createGatewayRegistry() });
const msg = (t: string) => ({ messageId: randomUUID(), role: 'ROLE_USER' as const, parts: [{ text: t }] });
async function task() {
  const id = randomUUID();
  await store.append(`task-${id}`, [{ type: 'task.submitted', data: { taskId: id, contextId: id, agent: 'echo', message: { ...msg('hello'), taskId: id, contextId: id } }, metadata: {}, correlationId: 'c' }], { expectedVersion: 'no_stream' });
  return id;
}
async function finish(id: string) {
  await store.append(`task-${id}`, [
    { type: 'task.execution_started', data: { attempt: 1, executor: 'builtin:echo', instance: 'x', resumed: false } },
    { type: 'task.artifact_appended', data: { artifact: { artifactId: 'a', parts: [{ text: 'hello' }] }, append: false, lastChunk: true } },
    { type: 'task.status_changed', data: { status: { state: 'TASK_STATE_COMPLETED', timestamp: new Date().toISOString() } } },
  ], { expectedVersion: 1 });
}
for (const group of [8]) {
  const n = 6000;
  const t0 = performance.now(); const c0 = process.cpuUsage();
  for (let i = 0; i < n / group; i++) {
    const ids = await Promise.all(Array.from({ length: group }, task));
    await Promise.all(ids.map(finish));
  }
  const ms = performance.now() - t0; const cpu = process.cpuUsage(c0);
  console.log(`group ${group}: ${(n / ms * 1000).toFixed(0)} tasks/s, cpu ${( (cpu.user+cpu.system)/1000/n).toFixed(3)} ms/task`);
}
await store.close(); await db.close();
