import type { Query } from './queries.js';

export type Row = Record<string, unknown>;

/** What runs statements: a pooled connection, a transaction, or PGlite itself. */
export interface SqlExecutor {
  query<R extends Row = Row>(query: Query): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

/**
 * The little the SQL event store needs from a database: PostgreSQL through `pg` and PGlite
 * both fit behind it, so they share every query.
 */
export interface SqlClient extends SqlExecutor {
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel`, and with an empty payload after a lost
   * connection is back (notifications may have been missed meanwhile).
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
