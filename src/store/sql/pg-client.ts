import pg from 'pg';
import type { Query } from './queries.js';
import type { Row, SqlClient, SqlExecutor } from './sql-client.js';

// int8 columns (positions, versions) arrive as numbers, not strings: positions stay below
// 2^53 (see schema.ts).
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export interface PgClientOptions {
  connectionString: string;
  /** Pool size; appends hold a connection for one round trip. */
  max?: number;
  connectionTimeoutMillis?: number;
  applicationName?: string;
}

export function createPgClient(options: PgClientOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    // Connections stay open: an idle timer per released client costs more than it saves here.
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    application_name: options.applicationName ?? 'a2a-gateway',
    types,
  });
  // An idle client that loses its connection emits here; the pool replaces it.
  pool.on('error', () => {});
  const listeners = new Set<() => Promise<void>>();

  const executor = (target: pg.Pool | pg.PoolClient): SqlExecutor => ({
    async query<R extends Row>(query: Query) {
      return (await target.query<R>({ name: query.name, text: query.text, values: query.values }))
        .rows;
    },
    async exec(text) {
      await target.query(text);
    },
  });

  return {
    ...executor(pool),

    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work(executor(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },

    async listen(channel, onNotify) {
      const stop = await listenWithReconnect(options, channel, onNotify);
      listeners.add(stop);
      return async () => {
        listeners.delete(stop);
        await stop();
      };
    },

    async close() {
      await Promise.all([...listeners].map((stop) => stop()));
      await pool.end();
    },
  };
}

/** A dedicated connection for LISTEN that comes back after a drop, with backoff. */
async function listenWithReconnect(
  options: PgClientOptions,
  channel: string,
  onNotify: (payload: string) => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retryMs = 100;
  let timer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const next = new pg.Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
      application_name: `${options.applicationName ?? 'a2a-gateway'}:listen`,
    });
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    });
    next.on('error', () => lost(next));
    next.on('end', () => lost(next));
    try {
      await next.connect();
      await next.query(`listen "${channel.replaceAll('"', '""')}"`);
    } catch (error) {
      next.end().catch(() => {});
      throw error;
    }
    if (stopped) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    retryMs = 100;
  }

  function lost(failed: pg.Client): void {
    if (client !== failed) return;
    client = undefined;
    failed.end().catch(() => {});
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (stopped || timer) return;
    timer = setTimeout(async () => {
      timer = undefined;
      if (stopped) return;
      try {
        await connect();
        onNotify('');
      } catch {
        retryMs = Math.min(retryMs * 2, 5_000);
        scheduleReconnect();
      }
    }, retryMs);
  }

  await connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await client?.end().catch(() => {});
  };
}
