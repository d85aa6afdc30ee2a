import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BusTransport,
  createPostgresTransport,
  type Envelope,
  type PostgresTransportOptions,
  type ReceiveOptions,
  sendInTransaction,
  type TransportDelivery,
} from '../../src/bus/index.js';
import {
  createPgClient,
  createPgliteClient,
  type SqlClient,
  type SqlExecutor,
} from '../../src/store/index.js';
import { envelope } from '../contract/bus-transport.contract.js';
import { eventually } from '../support/collect.js';
import { DATABASE_URL, suiteTitle, uniqueSchema } from '../support/services.js';

type Options = Partial<Omit<PostgresTransportOptions, 'client' | 'schema'>>;

interface Database {
  /** For the test's own statements: tables, transactions. */
  client: SqlClient;
  /** A transport as one gateway instance opens it (on PostgreSQL with connections of its own). */
  transport(schema: string, options?: Options): Promise<BusTransport>;
  schema(): string;
}

/** The PostgreSQL-specific behaviour, on embedded PGlite and on a PostgreSQL server. */
function postgresTransportSuite(database: () => Database): void {
  const open: BusTransport[] = [];
  afterEach(async () => {
    for (const transport of open.splice(0)) await transport.close().catch(() => {});
  });
  async function transport(schema: string, options?: Options): Promise<BusTransport> {
    const opened = await database().transport(schema, options);
    open.push(opened);
    return opened;
  }
  const topic = () => `pg.t.${randomUUID().slice(0, 8)}`;
  function options(extra: Partial<ReceiveOptions> = {}): ReceiveOptions {
    return {
      group: 'workers',
      consumer: `c-${randomUUID().slice(0, 8)}`,
      prefetch: 16,
      visibilityTimeoutMs: 30_000,
      ...extra,
    };
  }
  const payloads = (deliveries: readonly TransportDelivery[]) =>
    deliveries.map((d) => d.envelope.payload);
  const acking = (into: TransportDelivery[]) => (delivery: TransportDelivery) => {
    into.push(delivery);
    void delivery.ack();
  };

  it('sends in the caller transaction: a rolled-back one sends nothing, a committed one delivers', async () => {
    const { client } = database();
    const schema = database().schema();
    // No safety poll within the test: the commit's NOTIFY is what wakes the receiver.
    const bus = await transport(schema, { consumerPollMs: 60_000 });
    const t = topic();
    const got: TransportDelivery[] = [];
    await bus.receive(t, options(), acking(got));
    await client.exec(`create table ${schema}.orders (id text primary key)`);
    const insert = (tx: SqlExecutor, id: string) =>
      tx.query({ text: `insert into ${schema}.orders (id) values ($1)`, values: [id] });

    await expect(
      client.transaction(async (tx) => {
        await insert(tx, 'o-1');
        await sendInTransaction(tx, schema, [envelope(t, { payload: 'rolled back' })]);
        throw new Error('command refused');
      }),
    ).rejects.toThrow('command refused');
    const committed = envelope(t, { payload: 'committed', idempotencyKey: 'order:o-2' });
    const results = await client.transaction(async (tx) => {
      await insert(tx, 'o-2');
      return sendInTransaction(tx, schema, [committed]);
    });
    expect(results).toEqual([{ id: committed.id, duplicate: false }]);
    await eventually(() => got.length === 1, 10_000);
    expect(got[0]?.envelope).toEqual(committed);

    // The key stored by the transaction is known to the transport, and the reverse.
    const [repeat] = await bus.send([envelope(t, { idempotencyKey: 'order:o-2' })]);
    expect(repeat?.duplicate).toBe(true);
    await bus.send([envelope(t, { payload: 'marker' })]);
    await eventually(() => got.length === 2, 10_000);
    expect(payloads(got)).toEqual(['committed', 'marker']);
    const orders = await client.query<{ id: string }>({
      text: `select id from ${schema}.orders order by id`,
      values: [],
    });
    expect(orders.map((row) => row.id)).toEqual(['o-2']);
    await eventually(async () => (await bus.depth(t, 'workers')) === 0, 10_000);
  });

  it('delivers a LOW message while HIGH ones keep arriving, once it has waited long enough', async () => {
    const bus = await transport(database().schema(), { agingMs: 50 });
    const t = topic();
    let producing = true;
    let highsSent = 0;
    let highsDelivered = 0;
    let highsWaitingAtLow: number | undefined;
    const sends: Promise<unknown>[] = [];
    const sendHighs = (count: number, before: Envelope[] = []) => {
      const highs = Array.from({ length: count }, () => envelope(t, { priority: 'high' }));
      const sent = bus.send([...before, ...highs]).then(() => {
        highsSent += count;
      });
      sends.push(sent);
      return sent;
    };
    await bus.receive(t, options({ prefetch: 1 }), (delivery) => {
      void delivery.ack();
      if (delivery.envelope.priority === 'low') {
        highsWaitingAtLow = highsSent - highsDelivered;
        producing = false;
        return;
      }
      highsDelivered += 1;
      // Two new for each one taken: without aging the LOW message would wait for ever.
      if (producing && highsDelivered < 1_000) void sendHighs(2);
    });
    // Sent together, so the first highs are exactly as old as the low one and go first.
    await sendHighs(10, [envelope(t, { priority: 'low', payload: 'low' })]);
    await eventually(() => highsWaitingAtLow !== undefined, 20_000);
    producing = false;
    await Promise.allSettled(sends);
    expect(highsDelivered).toBeGreaterThanOrEqual(10);
    expect(highsWaitingAtLow).toBeGreaterThan(0);
  });

  it('shares a group between two instances on one schema, never handing a message to both', async () => {
    const schema = database().schema();
    const first = await transport(schema);
    const second = await transport(schema);
    const t = topic();
    const heldByFirst: TransportDelivery[] = [];
    const heldBySecond: TransportDelivery[] = [];
    const a = await first.receive(t, options({ prefetch: 5 }), (d) => heldByFirst.push(d));
    const b = await second.receive(t, options({ prefetch: 5 }), (d) => heldBySecond.push(d));
    await first.send(Array.from({ length: 10 }, (_, n) => envelope(t, { payload: n })));
    // Each may hold five: all ten out means both took some.
    await eventually(() => heldByFirst.length + heldBySecond.length === 10, 10_000);
    expect(heldByFirst).toHaveLength(5);
    expect(heldBySecond).toHaveLength(5);
    const held = [...heldByFirst, ...heldBySecond];
    expect(new Set(held.map((d) => d.envelope.id)).size).toBe(10);
    for (const delivery of held) await delivery.ack();
    await eventually(async () => (await second.depth(t, 'workers')) === 0, 10_000);
    await a.close();
    await b.close();

    const u = topic();
    const got: TransportDelivery[] = [];
    await first.receive(u, options(), acking(got));
    await second.receive(u, options(), acking(got));
    await second.send(Array.from({ length: 300 }, (_, n) => envelope(u, { payload: n })));
    await eventually(async () => (await first.depth(u, 'workers')) === 0, 20_000);
    expect(got).toHaveLength(300);
    expect(new Set(got.map((d) => d.envelope.id)).size).toBe(300);
  });

  it('keeps key order across instances and forgets a message once every group acknowledged it', async () => {
    const { client } = database();
    const schema = database().schema();
    const instances = [await transport(schema), await transport(schema)];
    const t = topic();
    const got = new Map<string, TransportDelivery[]>([
      ['audit', []],
      ['workers', []],
    ]);
    for (const instance of instances) {
      for (const [group, list] of got) {
        await instance.receive(t, options({ group, prefetch: 4 }), (delivery) => {
          list.push(delivery);
          // Acknowledged a little later, so acknowledgements of both groups cross.
          setTimeout(() => void delivery.ack(), Math.random() * 3);
        });
      }
    }
    const sent = Array.from({ length: 200 }, (_, n) =>
      envelope(t, { key: `k${n % 10}`, payload: n }),
    );
    await instances[0]!.send(sent.slice(0, 100));
    await instances[1]!.send(sent.slice(100));
    for (const group of got.keys()) {
      await eventually(async () => (await instances[0]!.depth(t, group)) === 0, 30_000);
    }
    for (const list of got.values()) {
      expect(list).toHaveLength(200);
      expect(new Set(list.map((d) => d.envelope.id)).size).toBe(200);
      for (let key = 0; key < 10; key += 1) {
        const order = list
          .filter((d) => d.envelope.key === `k${key}`)
          .map((d) => d.envelope.payload as number);
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    }
    const [left] = await client.query<{ count: number }>({
      text: `select count(*)::integer as count from ${schema}.bus_messages`,
      values: [],
    });
    expect(left?.count).toBe(0);
  });

  it('wakes a receiver by NOTIFY when another instance sends, without waiting for the poll', async () => {
    const schema = database().schema();
    const receiving = await transport(schema, { consumerPollMs: 60_000 });
    const sending = await transport(schema);
    const t = topic();
    const held: TransportDelivery[] = [];
    // Held, with a visibility beyond the poll: no timer of the receiver fires in this test.
    await receiving.receive(t, options({ prefetch: 4, visibilityTimeoutMs: 120_000 }), (d) =>
      held.push(d),
    );
    await sending.send([envelope(t, { payload: 'first' })]);
    await eventually(() => held.length === 1, 10_000);
    // The receiver has read since and holds the first: only a notification makes it read again.
    await sending.send([envelope(t, { payload: 'second' })]);
    await eventually(() => held.length === 2, 10_000);
    expect(payloads(held)).toEqual(['first', 'second']);
    for (const delivery of held) await delivery.ack();
  });
}

describe('PostgreSQL transport on PGlite', () => {
  let db: PGlite;
  let folder: string;
  let client: SqlClient;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'bus-pg-'));
    db = await PGlite.create(folder);
    client = createPgliteClient(db, { owned: false });
  });
  afterAll(async () => {
    await db?.close();
    await rm(folder, { recursive: true, force: true });
  });
  postgresTransportSuite(() => ({
    client,
    schema: () => uniqueSchema('bus_pglite'),
    // One PGlite per process: instances share it, as the gateway's store and bus do.
    transport: (schema, options) => createPostgresTransport({ ...options, client, schema }),
  }));
});

describe.skipIf(!DATABASE_URL)(
  suiteTitle('PostgreSQL transport on PostgreSQL', 'DATABASE_URL'),
  () => {
    let client: SqlClient;
    const created: string[] = [];
    beforeAll(() => {
      client = createPgClient({ connectionString: DATABASE_URL!, max: 2 });
    });
    afterAll(async () => {
      for (const schema of created) await client.exec(`drop schema if exists ${schema} cascade`);
      await client?.close();
    });
    postgresTransportSuite(() => ({
      client,
      schema() {
        const schema = uniqueSchema('bus_pgsql');
        created.push(schema);
        return schema;
      },
      transport: (schema, options) =>
        createPostgresTransport({
          ...options,
          client: createPgClient({ connectionString: DATABASE_URL!, max: 4 }),
          schema,
          ownsClient: true,
        }),
    }));
  },
);
