import { randomUUID } from 'node:crypto';
import type { EventRegistry, StoredEvent } from '../../events/index.js';
import { ConcurrencyError, DuplicateEventError, StoreClosedError } from '../errors.js';
import type {
  AppendResult,
  EventStore,
  GlobalReadOptions,
  ReadStreamOptions,
  Snapshot,
} from '../event-store.js';
import { expectedVersionParam } from '../expected-version.js';
import { assertNoNul, MAX_EVENTS_PER_APPEND, prepareAppend } from '../prepare-append.js';
import { pageOf, readLimit, upcastWith } from '../read-helpers.js';
import type { StableReader } from '../stable-reader.js';
import { createSubscriptionHub } from '../subscription-hub.js';
import { createAnnouncer } from './announcer.js';
import { createAppendBatcher } from './append-batcher.js';
import { toStoreError } from './errors.js';
import { migrate } from './migrate.js';
import * as q from './queries.js';
import { assertSchemaName, migrations } from './schema.js';
import type { Row, SqlClient } from './sql-client.js';

export interface SqlEventStoreOptions {
  /** PostgreSQL schema holding the tables; one store per schema. */
  schema?: string;
  registry?: EventRegistry;
  now?: () => Date;
  /** Errors of background work (live feed, NOTIFY) that no caller is waiting for. */
  onBackgroundError?: (error: unknown) => void;
  /** Append round trips in flight at once; appends arriving meanwhile are grouped. */
  appendConcurrency?: number;
  /** Least time between two NOTIFYs telling other instances of new events (see announcer.ts). */
  notifyIntervalMs?: number;
  /**
   * Every append to this schema passes through this store (PGlite: its folder belongs to one
   * process): appends run one group at a time, their events reach followers from memory with
   * no read back, and no NOTIFY is sent (see EventStore.exclusive).
   */
  exclusive?: boolean;
}

/** The PostgreSQL and PGlite adapters: one implementation over a `SqlClient`. */
export async function createSqlEventStore(
  client: SqlClient,
  options: SqlEventStoreOptions = {},
): Promise<EventStore> {
  const schema = assertSchemaName(options.schema ?? 'public');
  const now = options.now ?? (() => new Date());
  const upcast = upcastWith(options.registry);
  const onBackgroundError = options.onBackgroundError ?? (() => {});
  const channel = `es_events_${schema}`;
  const instance = randomUUID().slice(0, 8);
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;
  let closed = false;

  async function run<R extends Row>(what: string, query: q.Query): Promise<R[]> {
    if (closed) throw new StoreClosedError();
    try {
      return await client.query<R>(query);
    } catch (error) {
      throw toStoreError(error, what);
    }
  }

  function track<T>(work: Promise<T>): Promise<T> {
    inFlight.add(work);
    return work.finally(() => inFlight.delete(work));
  }

  const exclusive = options.exclusive ?? false;
  const toEvents = (rows: Row[]) => rows.map((row) => upcast(toStoredEvent(row)));

  await migrate(client, schema, { table: 'es_migrations', migrations }).catch((error) => {
    throw toStoreError(error, 'migration');
  });
  const readHead = async () => {
    const [row] = await run<{ head: number | null }>('headPosition', q.headPosition(schema));
    return Number(row?.head ?? 0);
  };
  // An exclusive store knows its head: the newest position it committed.
  let committedHead = exclusive ? await readHead() : 0;

  const reader: StableReader = {
    async readStable(after, limit, filter, upTo) {
      return toEvents(await run('read', q.readStable(schema, after, limit, filter, upTo)));
    },
    async readStableKnowing(after, limit, known) {
      if (known.size === 0) return reader.readStable(after, limit);
      const rows = await run<{ global_position: number }>(
        'read',
        q.readStablePositions(schema, after, limit),
      );
      const positions = rows.map((row) => Number(row.global_position));
      const missing = positions.filter((position) => !known.has(position));
      const fetched = new Map<number, StoredEvent>();
      if (missing.length > 0) {
        for (const event of toEvents(await run('read', q.readPositions(schema, missing))))
          fetched.set(event.globalPosition, event);
      }
      return positions.flatMap((position) => {
        const event = known.get(position) ?? fetched.get(position);
        return event ? [event] : [];
      });
    },
    async stableHead() {
      if (exclusive) return committedHead;
      const [row] = await run<{ head: number }>('read', q.stableHead());
      return Number(row?.head ?? 0);
    },
  };
  const readStream = async (streamId: string, readOptions: ReadStreamOptions = {}) => {
    const limit = readLimit(readOptions.limit, Number.MAX_SAFE_INTEGER);
    return toEvents(await run('readStream', q.readStream(schema, streamId, readOptions, limit)));
  };

  const hub = createSubscriptionHub(reader, {
    onError: onBackgroundError,
    readStream: (streamId, fromVersion, limit) => readStream(streamId, { fromVersion, limit }),
    ...(exclusive ? { exclusive: { head: committedHead } } : {}),
  });
  // Appends of other processes arrive by NOTIFY; our own reach the feed from memory.
  const unlisten = exclusive
    ? async () => {}
    : await client.listen(channel, (payload) => {
        const [from, position] = payload.split(':');
        if (from !== instance) hub.wake(position ? Number(position) : undefined);
      });

  const appends = createAppendBatcher<q.AppendRequest, Appended>({
    // One group at a time where commits must come back in order; PGlite runs one anyway.
    concurrency: exclusive ? 1 : (options.appendConcurrency ?? 3),
    maxWeight: MAX_EVENTS_PER_APPEND,
    async run(requests) {
      const rows = await client.query<AppendRow & { append_index: number }>(
        q.appendEvents(schema, requests),
      );
      const byAppend = requests.map((): AppendRow[] => []);
      for (const row of rows) byAppend[row.append_index]?.push(row);
      const appended = requests.map((request, index) => ({
        rows: byAppend[index]!,
        events: storedEvents(request, byAppend[index]!),
      }));
      // Handed to followers before the next group can commit, so they arrive in commit order.
      const committed = appended.flatMap((append) => append.events);
      if (committed.length > 0) {
        committedHead = Math.max(committedHead, committed[committed.length - 1]!.globalPosition);
        hub.committed(committed);
        if (!exclusive) announcer.announce(committedHead);
      }
      return appended;
    },
  });

  /** What a database read would return for an append that just committed, without the read. */
  function storedEvents(request: q.AppendRequest, rows: AppendRow[]): StoredEvent[] {
    if (rows[0]?.status !== 'appended' || rows.length !== request.events.length) return [];
    return request.events.map((event, index) =>
      upcast({
        id: event.id,
        type: event.type,
        schemaVersion: event.schemaVersion,
        streamId: request.streamId,
        streamVersion: Number(rows[index]!.stream_version),
        globalPosition: Number(rows[index]!.global_position),
        timestamp: event.timestamp,
        correlationId: event.correlationId,
        causationId: event.causationId,
        metadata: event.metadata,
        data: event.data,
      }),
    );
  }

  const announcer = createAnnouncer({
    send: (position) => client.query(q.notify(channel, `${instance}:${position}`)),
    minIntervalMs: options.notifyIntervalMs ?? 5,
    onError: onBackgroundError,
  });

  async function globalRead(
    what: string,
    options: GlobalReadOptions = {},
    extra?: Parameters<typeof q.readGlobal>[3],
  ) {
    const limit = readLimit(options.limit);
    return pageOf(toEvents(await run(what, q.readGlobal(schema, options, limit, extra))), limit);
  }

  const store: EventStore = {
    append(streamId, events, appendOptions = {}) {
      if (closing) return Promise.reject(new StoreClosedError());
      return track(
        (async (): Promise<AppendResult> => {
          const expected = appendOptions.expectedVersion ?? 'any';
          const prepared = prepareAppend(streamId, events, expected, {
            registry: options.registry,
            now,
          });
          assertNoNul(prepared);
          const ids = prepared.map((event) => event.id);
          let appended: Appended;
          try {
            appended = await appends.submit(
              { streamId, expected: expectedVersionParam(expected), events: prepared },
              prepared.length,
            );
          } catch (error) {
            throw toStoreError(error, `append to ${streamId}`, streamId, ids);
          }
          const { rows, events: written } = appended;
          const status = rows[0]?.status;
          if (status === 'conflict') {
            throw new ConcurrencyError(streamId, expected, Number(rows[0]!.stream_version));
          }
          if (status === 'partial_duplicate' || rows.length !== prepared.length) {
            throw new DuplicateEventError(streamId, ids);
          }
          const positions = rows.map((row) => Number(row.global_position));
          return {
            streamId,
            nextExpectedVersion: Math.max(...rows.map((row) => Number(row.stream_version))),
            positions,
            alreadyAppended: status === 'duplicate',
            events: written,
          };
        })(),
      );
    },

    readStream,

    readAll: (readOptions) => globalRead('readAll', readOptions),

    readByCorrelation: (correlationId, readOptions) =>
      globalRead('readByCorrelation', readOptions, {
        condition: (param) => `correlation_id = ${param(correlationId)}`,
      }),

    readByTime: (range, readOptions) =>
      globalRead('readByTime', readOptions, {
        condition: (param) =>
          `occurred_at >= ${param(range.from.toISOString())} and occurred_at < ${param(range.to.toISOString())}`,
      }),

    async headPosition() {
      if (closed) throw new StoreClosedError();
      return exclusive ? committedHead : readHead();
    },

    async streamInfo(streamId) {
      const [row] = await run('streamInfo', q.streamInfo(schema, streamId));
      if (!row) return undefined;
      return {
        streamId,
        version: Number(row.version),
        // Versions are gap-free from 1, and a stream is deleted (retention) only whole.
        eventCount: Number(row.version),
        firstTimestamp: toIso(row.created_at),
        lastTimestamp: toIso(row.updated_at),
      };
    },

    async saveSnapshot(streamId, version, state) {
      await run('saveSnapshot', q.saveSnapshot(schema, streamId, version, state));
    },

    async loadSnapshot<S>(streamId: string) {
      const [row] = await run('loadSnapshot', q.loadSnapshot(schema, streamId));
      if (!row) return undefined;
      return {
        streamId,
        version: Number(row.version),
        state: row.state as S,
        savedAt: toIso(row.saved_at),
      } satisfies Snapshot<S>;
    },

    subscribe(subscribeOptions) {
      if (closing) throw new StoreClosedError();
      return hub.subscribe(subscribeOptions);
    },

    subscribeToStream(streamId, streamOptions) {
      if (closing) throw new StoreClosedError();
      return hub.subscribeToStream(streamId, streamOptions);
    },

    async deleteStream(streamId) {
      if (closed) throw new StoreClosedError();
      try {
        return await client.transaction(async (tx) => {
          let deleted = 0;
          for (const query of q.deleteStream(schema, streamId)) {
            const [row] = await tx.query<{ deleted?: number }>(query);
            if (row?.deleted !== undefined) deleted = Number(row.deleted);
          }
          return deleted;
        });
      } catch (error) {
        throw toStoreError(error, `deleteStream ${streamId}`);
      }
    },

    async importEvents(events) {
      if (closed) throw new StoreClosedError();
      if (events.length === 0) return;
      try {
        await client.transaction(async (tx) => {
          for (const query of q.importEvents(schema, events)) await tx.query(query);
        });
      } catch (error) {
        const code = (error as { code?: string }).code;
        // A taken id, position or stream version: the events (or others) are there already.
        if (code === '23505')
          throw new DuplicateEventError(
            events[0]!.streamId,
            events.map((event) => event.id),
          );
        throw toStoreError(error, 'importEvents');
      }
      if (exclusive)
        committedHead = Math.max(committedHead, ...events.map((event) => event.globalPosition));
    },

    exclusive,

    async loadCheckpoint(name) {
      const [row] = await run('loadCheckpoint', q.loadCheckpoint(schema, name));
      return row ? Number(row.position) : undefined;
    },

    async saveCheckpoint(name, position) {
      await run('saveCheckpoint', q.saveCheckpoint(schema, name, position));
    },

    stats: () => hub.stats(),

    async close() {
      if (closing) return;
      closing = true;
      // Let started appends and their announcements finish; new ones are refused.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await announcer.drained();
      closed = true;
      hub.close();
      await unlisten().catch(() => {});
      await client.close();
    },
  };
  return store;
}

interface Appended {
  rows: AppendRow[];
  events: StoredEvent[];
}

interface AppendRow extends Row {
  status: 'appended' | 'duplicate' | 'partial_duplicate' | 'conflict';
  stream_version: number;
  global_position: number;
}

function toStoredEvent(row: Row): StoredEvent {
  return {
    id: row.event_id as string,
    type: row.type as string,
    schemaVersion: Number(row.schema_version),
    streamId: row.stream_id as string,
    streamVersion: Number(row.stream_version),
    globalPosition: Number(row.global_position),
    timestamp: toIso(row.occurred_at),
    correlationId: row.correlation_id as string,
    causationId: (row.causation_id as string | null) ?? null,
    metadata: (row.metadata ?? {}) as StoredEvent['metadata'],
    data: row.data,
  };
}

function toIso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}
