import { assertSchemaName, migrate, type SqlClient, type SqlExecutor } from '../../store/index.js';
import type { BusTransport, Envelope, SendResult } from '../transport.js';
import { createAckBatcher } from './ack-batcher.js';
import * as q from './queries.js';
import { PostgresReceiver, type ReceiverContext } from './receiver.js';
import { busChannel, busMigrations } from './schema.js';

export interface PostgresTransportOptions {
  /** PostgreSQL through `createPgClient`, or embedded PGlite through `createPgliteClient`. */
  client: SqlClient;
  /** The schema of the queue tables, usually the event store's. */
  schema: string;
  /**
   * How often each receiver looks even when nothing woke it: NOTIFY and timers do the
   * waking, this only covers a lost notification. Default 5 s.
   */
  consumerPollMs?: number;
  /** A waiting message rises one priority step per this much waiting. Default 1 s. */
  agingMs?: number;
  /** How long a repeat of an idempotency key is recognised. Default 24 h. */
  idempotencyWindowMs?: number;
  /** Close the client with the transport. Default false: the caller shares it. */
  ownsClient?: boolean;
  /** Apply `busMigrations` first. Default true (safe at every start, under a lock). */
  migrate?: boolean;
  onBackgroundError?: (error: unknown) => void;
}

export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1_000;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_LIMIT = 1_000;

/** Creates or updates the queue tables in `schema`. */
export async function migrateBus(client: SqlClient, schema: string): Promise<void> {
  await migrate(client, assertSchemaName(schema), busMigrations);
}

/**
 * The transactional outbox: stores `envelopes` with whatever else `tx` writes, so a command
 * and the messages it causes commit together or not at all. Receivers are woken when `tx`
 * commits. The schema must have been migrated (`migrateBus`); `tx` must run at READ
 * COMMITTED, the default, for a send racing a topic's first group to be routed right.
 */
export async function sendInTransaction(
  tx: SqlExecutor,
  schema: string,
  envelopes: readonly Envelope[],
  options: { idempotencyWindowMs?: number } = {},
): Promise<SendResult[]> {
  if (envelopes.length === 0) return [];
  const window = options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
  const rows = await tx.query<{ ordinal: number; duplicate: boolean }>(
    q.send(assertSchemaName(schema), envelopes, window),
  );
  return envelopes.map((envelope, index) => ({
    id: envelope.id,
    duplicate: rows[index]?.duplicate === true,
  }));
}

/**
 * The queue adapter on PostgreSQL, or on embedded PGlite with the same SQL: PGMQ-like tables
 * (see schema.ts), taken with `FOR UPDATE SKIP LOCKED`, woken by LISTEN/NOTIFY. Several
 * gateway instances on one database share a group's messages without double delivery.
 */
export async function createPostgresTransport(
  options: PostgresTransportOptions,
): Promise<BusTransport> {
  const { client } = options;
  const schema = assertSchemaName(options.schema);
  const onError = options.onBackgroundError ?? (() => {});
  const windowMs = options.idempotencyWindowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
  const receivers = new Set<PostgresReceiver>();
  const wake = (topic?: string) => {
    for (const receiver of receivers) if (!topic || receiver.topic === topic) receiver.wake();
  };
  const groups = new Map<string, Promise<number>>();
  let closed = false;

  let unlisten: () => Promise<void>;
  try {
    if (options.migrate !== false) await migrateBus(client, schema);
    // An empty payload follows a reconnection: anything may have been missed.
    unlisten = await client.listen(busChannel(schema), (topic) => wake(topic || undefined));
  } catch (error) {
    if (options.ownsClient) await client.close().catch(() => {});
    throw error;
  }

  const acks = createAckBatcher<q.Settled>(async (deliveries) => {
    await client.query(q.ack(schema, deliveries));
  });
  const context: ReceiverContext = {
    client,
    schema,
    agingMs: options.agingMs ?? 1_000,
    pollMs: options.consumerPollMs ?? 5_000,
    acknowledge: (delivery) => acks.add(delivery),
    onError,
  };

  const prune = setInterval(() => {
    client.query(q.pruneIdempotencyKeys(schema, PRUNE_LIMIT)).catch(onError);
  }, PRUNE_EVERY_MS);
  prune.unref();

  function groupId(topic: string, group: string): Promise<number> {
    const name = JSON.stringify([topic, group]);
    let id = groups.get(name);
    if (!id) {
      id = client
        .query<{ id: number }>(q.join(schema, topic, group))
        .then(([row]) => Number(row?.id));
      id.catch(() => groups.delete(name));
      groups.set(name, id);
    }
    return id;
  }

  return {
    kind: 'postgres',

    async send(envelopes) {
      if (closed) throw new Error('bus transport is closed');
      const results = await sendInTransaction(client, schema, envelopes, {
        idempotencyWindowMs: windowMs,
      });
      // Our own receivers need not wait for the notification's round trip.
      for (const topic of new Set(envelopes.map((envelope) => envelope.topic))) wake(topic);
      return results;
    },

    async receive(topic, receiveOptions, deliver) {
      if (closed) throw new Error('bus transport is closed');
      const group = await groupId(topic, receiveOptions.group);
      const receiver = new PostgresReceiver(context, topic, group, receiveOptions, deliver);
      receivers.add(receiver);
      receiver.onClose = () => {
        receivers.delete(receiver);
        // What it gave back is for the others.
        wake(topic);
      };
      return receiver;
    },

    async depth(topic, group) {
      const [row] = await client.query<{ depth: number }>(q.depth(schema, topic, group));
      return Number(row?.depth ?? 0);
    },

    async health() {
      if (closed) return { ok: false, detail: 'closed' };
      const started = performance.now();
      try {
        await client.query({ text: 'select 1', values: [] });
        const ms = (performance.now() - started).toFixed(1);
        return { ok: true, detail: `queues in schema ${schema}: select 1 in ${ms} ms` };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { ok: false, detail: `queues in schema ${schema}: ${reason}` };
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(prune);
      for (const receiver of [...receivers]) await receiver.close();
      await acks.drained();
      await unlisten().catch(onError);
      if (options.ownsClient) await client.close();
    },
  };
}
