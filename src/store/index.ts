export {
  type DataDirLock,
  DataDirLockedError,
  LOCK_FILE,
  type LockOwner,
  lockDataDir,
} from './data-dir-lock.js';
export {
  type DurableSubscriber,
  type DurableSubscriberOptions,
  startDurableSubscriber,
} from './durable-subscriber.js';
export {
  ConcurrencyError,
  DuplicateEventError,
  StoreClosedError,
  StoreError,
  StoreUnavailableError,
} from './errors.js';
export type {
  AppendOptions,
  AppendResult,
  EventPage,
  EventStore,
  ExpectedVersion,
  GlobalReadOptions,
  ReadStreamOptions,
  Snapshot,
  StoreStats,
  StreamInfo,
  SubscribeOptions,
  Subscription,
} from './event-store.js';
export { createMemoryEventStore, type MemoryEventStoreOptions } from './memory.js';
export { createPgliteEventStore, type PGliteLike, type PgliteEventStoreOptions } from './pglite.js';
export { initPgliteFolder } from './pglite-folder.js';
export { createPostgresEventStore, type PostgresEventStoreOptions } from './postgres.js';
export { MAX_EVENTS_PER_APPEND } from './prepare-append.js';
export { toStoreError } from './sql/errors.js';
export { type MigrationSet, migrate } from './sql/migrate.js';
export { createPgClient, type PgClientOptions } from './sql/pg-client.js';
export { createPgliteClient } from './sql/pglite-client.js';
export type { Query } from './sql/queries.js';
export { assertSchemaName, type Migration } from './sql/schema.js';
export type { Row, SqlClient, SqlExecutor } from './sql/sql-client.js';
