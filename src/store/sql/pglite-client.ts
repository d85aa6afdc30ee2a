import type { Query } from './queries.js';
import type { Row, SqlClient, SqlExecutor } from './sql-client.js';

/**
 * The part of `@electric-sql/pglite` we use, taken structurally so a caller can hand in an
 * instance it shares with other code (tests share one per file: start-up costs seconds).
 */
export interface PGliteLike {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(text: string): Promise<unknown>;
  transaction<T>(work: (tx: PGliteTransactionLike) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  readonly closed?: boolean;
}

export interface PGliteTransactionLike {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(text: string): Promise<unknown>;
}

export function createPgliteClient(db: PGliteLike, options: { owned: boolean }): SqlClient {
  const executor = (target: PGliteTransactionLike): SqlExecutor => ({
    async query<R extends Row>(query: Query) {
      return (await target.query<R>(query.text, query.values)).rows;
    },
    async exec(text) {
      await target.exec(text);
    },
  });
  return {
    ...executor(db),
    transaction: (work) => db.transaction((tx) => work(executor(tx))),
    // One PGlite folder belongs to one process, so no connection can drop under us here.
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    async close() {
      if (options.owned && !db.closed) await db.close();
    },
  };
}
