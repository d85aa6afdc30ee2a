import { type Migration, migrationLockKey } from './schema.js';
import type { SqlClient } from './sql-client.js';

export interface MigrationSet {
  /** Table recording which of `migrations` ran, e.g. `es_migrations`. */
  table: string;
  migrations: readonly Migration[];
}

/**
 * Applies the migrations of `set` this schema has not seen, in one transaction, under an
 * advisory lock so that instances starting together do not race. Safe at every start-up.
 */
export async function migrate(
  client: SqlClient,
  schema: string,
  set: MigrationSet,
): Promise<number[]> {
  return client.transaction(async (tx) => {
    await tx.query({
      text: 'select pg_advisory_xact_lock($1)',
      values: [migrationLockKey(schema)],
    });
    await tx.exec(`create schema if not exists ${schema};
      create table if not exists ${schema}.${set.table} (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      );`);
    const rows = await tx.query<{ version: number }>({
      text: `select version from ${schema}.${set.table}`,
      values: [],
    });
    const applied = new Set(rows.map((row) => row.version));
    const newlyApplied: number[] = [];
    for (const migration of set.migrations) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql(schema));
      await tx.query({
        text: `insert into ${schema}.${set.table} (version, name) values ($1, $2)`,
        values: [migration.version, migration.name],
      });
      newlyApplied.push(migration.version);
    }
    return newlyApplied;
  });
}
