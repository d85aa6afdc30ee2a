import { Pump } from './bus-pump.js';
import type { Payload, Subject } from './bus-subject.js';

/** The native client's query: `pg.Pool#query` or `PGlite#query`, rows out. */
export type RawQuery = (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>;

/**
 * The floor under the database adapter: a plain table, one INSERT per publish (multi-row for
 * a batch), and a consumer taking rows with `DELETE … WHERE id IN (SELECT … FOR UPDATE SKIP
 * LOCKED LIMIT n) RETURNING`, woken by its own publisher as the bus's receivers are.
 */
export async function sqlReference(query: RawQuery, table: string): Promise<Subject> {
  await query(`create table ${table} (id bigserial primary key, payload jsonb not null)`);
  const take = `delete from ${table} where id in (
      select id from ${table} order by id for update skip locked limit $1)
    returning payload`;
  const pump = new Pump(
    async (limit) =>
      (await query(take, [limit])).rows.map((row) => (row as { payload: Payload }).payload),
    100,
  );
  return {
    async publish(payloads) {
      const rows = payloads.map((_, i) => `($${i + 1}::jsonb)`).join(', ');
      await query(
        `insert into ${table} (payload) values ${rows}`,
        payloads.map((p) => JSON.stringify(p)),
      );
      pump.wake();
    },
    async consume(onPayload) {
      pump.start(onPayload, (error) => {
        process.stderr.write(`sql reference consumer failed: ${String(error)}\n`);
      });
    },
    close: () => pump.stop(),
  };
}
