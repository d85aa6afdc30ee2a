import { PGlite } from '@electric-sql/pglite';
import type { EventStore } from './event-store.js';
import { createPgliteClient, type PGliteLike } from './sql/pglite-client.js';
import { createSqlEventStore, type SqlEventStoreOptions } from './sql/sql-event-store.js';

export type { PGliteLike } from './sql/pglite-client.js';

export interface PgliteEventStoreOptions extends SqlEventStoreOptions {
  /** Folder of the embedded database (created when missing); omit for an in-memory one. */
  dataDir?: string;
  /** An open PGlite to use instead; the store will not close it. */
  pglite?: PGliteLike;
}

/**
 * The embedded default: PostgreSQL compiled to WebAssembly, in a data folder, no server. One
 * process holds the folder and one store a schema, so the store is exclusive (see
 * EventStore.exclusive) unless told otherwise.
 */
export async function createPgliteEventStore(
  options: PgliteEventStoreOptions = {},
): Promise<EventStore> {
  const owned = !options.pglite;
  const db = options.pglite ?? (await PGlite.create(options.dataDir));
  try {
    return await createSqlEventStore(createPgliteClient(db, { owned }), {
      exclusive: true,
      ...options,
    });
  } catch (error) {
    if (owned) await db.close().catch(() => {});
    throw error;
  }
}
