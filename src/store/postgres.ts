import type { EventStore } from './event-store.js';
import { createPgClient, type PgClientOptions } from './sql/pg-client.js';
import { createSqlEventStore, type SqlEventStoreOptions } from './sql/sql-event-store.js';

export interface PostgresEventStoreOptions extends SqlEventStoreOptions, PgClientOptions {}

/** PostgreSQL through a `pg` pool: for production, one instance or many sharing a database. */
export async function createPostgresEventStore(
  options: PostgresEventStoreOptions,
): Promise<EventStore> {
  const client = createPgClient(options);
  try {
    return await createSqlEventStore(client, options);
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
}
