import { migrationLockKey, migrations } from './schema.js';
import type { SqlClient } from './sql-client.js';

/**
 * Applies the migrations this schema has not seen, in one transaction, under an advisory lock
 * so that instances starting together do not race. Safe to run at every start-up.
 */
export async function migrate(client: SqlClient, schema: string): Promise<number[]> {
  return client.transaction(async (tx) => {
    await tx.query({
      text: 'select pg_advisory_xact_lock($1)',
      values: [migrationLockKey(schema)],
    });
    await tx.exec(`create schema if not exists ${schema};
      create table if not exists ${schema}.es_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      );`);
    const rows = await tx.query<{ version: number }>({
      text: `select version from ${schema}.es_migrations`,
      values: [],
    });
    const applied = new Set(rows.map((row) => row.version));
    const newlyApplied: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql(schema));
      await tx.query({
        text: `insert into ${schema}.es_migrations (version, name) values ($1, $2)`,
        values: [migration.version, migration.name],
      });
      newlyApplied.push(migration.version);
    }
    return newlyApplied;
  });
}
