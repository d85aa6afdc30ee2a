import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresEventStore,
  type EventStore,
  StoreUnavailableError,
} from '../../src/store/index.js';
import { prepareAppend } from '../../src/store/prepare-append.js';
import { appendEvents } from '../../src/store/sql/queries.js';
import { migrations } from '../../src/store/sql/schema.js';
import { eventually, nothingWithin, take } from '../support/collect.js';
import { DATABASE_URL, suiteTitle, uniqueSchema } from '../support/services.js';

/** Starts an append inside `client`'s open transaction, as a second gateway instance would. */
async function appendInOpenTransaction(
  client: pg.PoolClient,
  schema: string,
  streamId: string,
  type: string,
) {
  const events = prepareAppend(streamId, [{ type, data: {} }], 'any', { now: () => new Date() });
  const query = appendEvents(schema, [{ streamId, expected: 'any', events }]);
  const { rows } = await client.query(query.text, query.values);
  return Number(rows[0].global_position);
}

const happened = (data: Record<string, unknown>) => ({ type: 'test.happened', data });

const title = suiteTitle('PostgreSQL adapter', 'DATABASE_URL');

describe.skipIf(!DATABASE_URL)(title, () => {
  let admin: pg.Pool;
  const schemas: string[] = [];
  const stores: EventStore[] = [];

  async function open(
    schema = uniqueSchema('pgtest'),
  ): Promise<{ store: EventStore; schema: string }> {
    if (!schemas.includes(schema)) schemas.push(schema);
    const store = await createPostgresEventStore({ connectionString: DATABASE_URL!, schema });
    stores.push(store);
    return { store, schema };
  }

  beforeAll(() => {
    admin = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close().catch(() => {})));
  });
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`drop schema if exists ${schema} cascade`);
    await admin?.end();
  });

  it('hands a stream follower a new event at once, while another stream holds the store-wide order back', async () => {
    const { store, schema } = await open();
    const following = store.subscribeToStream('fast');
    const iterator = following[Symbol.asyncIterator]();
    const slow = await admin.connect();
    try {
      await slow.query('begin');
      await appendInOpenTransaction(slow, schema, 'slow', 'test.slow');
      const appended = await store.append('fast', [{ type: 'test.fast', data: {} }]);
      // The store-wide order is held back behind the open transaction; one stream's is not.
      const next = await iterator.next();
      expect(next.value).toMatchObject({
        type: 'test.fast',
        globalPosition: appended.positions[0],
      });
    } finally {
      await slow.query('rollback');
      slow.release();
      following.close();
    }
  });

  it('holds back a later commit until an earlier-started append commits, then delivers both in order', async () => {
    const { store, schema } = await open();
    const subscription = store.subscribe({ from: 'end' });
    const watcher = nothingWithin(subscription[Symbol.asyncIterator](), 300);

    // Transaction A appends first but stays open: its position is the lower one.
    const slow = await admin.connect();
    try {
      await slow.query('begin');
      const a = await appendInOpenTransaction(slow, schema, 'slow', 'test.slow');
      // Transaction B commits after A began: a naive follower would hand B out and skip A.
      const b = await store.append('fast', [{ type: 'test.fast', data: {} }]);
      expect(a).toBeLessThan(b.positions[0]!);
      expect(await watcher.quiet()).toBe(true);

      await slow.query('commit');
      const first = await watcher.next();
      const second = await watcher.next();
      expect([first.value?.type, second.value?.type]).toEqual(['test.slow', 'test.fast']);
    } finally {
      await slow.query('rollback');
      slow.release();
      subscription.close();
    }
  });

  it('delivers appends of another instance live through LISTEN/NOTIFY', async () => {
    const { store: writer, schema } = await open();
    const { store: reader } = await open(schema);
    const subscription = reader.subscribe({ from: 'end' });
    const reading = take(subscription, 3);
    await eventually(() => reader.stats().liveListeners === 1);
    for (let i = 0; i < 3; i++)
      await writer.append('elsewhere', [{ type: 'test.remote', data: { i } }]);
    const events = await reading;
    expect(events.map((event) => event.data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
  });

  it('hands a follower its own and another instance’s appends in global order, each once', async () => {
    const { store: here, schema } = await open();
    const { store: there } = await open(schema);
    const subscription = here.subscribe({ from: 'end' });
    await subscription.ready;
    const reading = take(subscription, 80, 20_000);
    await Promise.all(
      [here, there].map(async (store, s) => {
        for (let i = 0; i < 40; i++) await store.append(`mixed-${i % 3}`, [happened({ s, i })]);
      }),
    );
    const events = await reading;
    const stored = (await here.readAll({ limit: 1_000 })).events;
    expect(events.map((event) => event.globalPosition)).toEqual(
      stored.map((event) => event.globalPosition),
    );
    expect(events.map((event) => event.data)).toEqual(stored.map((event) => event.data));
  });

  it('migrates once when several instances start together on a new schema', async () => {
    const schema = uniqueSchema('pgmigrate');
    const opened = await Promise.all([open(schema), open(schema), open(schema)]);
    const { rows } = await admin.query(`select version from ${schema}.es_migrations`);
    expect(rows.map((row) => row.version)).toEqual(
      migrations.map((migration) => migration.version),
    );
    await opened[0]!.store.append('m', [{ type: 'test.ok', data: {} }]);
    expect(await opened[2]!.store.readStream('m')).toHaveLength(1);
  });

  it('fails fast with StoreUnavailableError when the database cannot be reached', async () => {
    const url = new URL(DATABASE_URL!);
    url.port = '1';
    const error = await createPostgresEventStore({
      connectionString: url.toString(),
      connectionTimeoutMillis: 2_000,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/unreachable during migration: .*ECONNREFUSED/);
  });

  it('loses the whole append, and says so, when the connection dies mid-append', async () => {
    const { store, schema } = await open();
    await store.append('victim', [{ type: 'test.before', data: {} }]);
    // Hold the stream's append lock in another transaction so our append waits mid-flight.
    const blocker = await admin.connect();
    try {
      await blocker.query('begin');
      await appendInOpenTransaction(blocker, schema, 'victim', 'test.blocker');

      const append = store
        .append('victim', [
          { type: 'test.lost', data: {} },
          { type: 'test.lost', data: {} },
        ])
        .catch((caught: unknown) => caught);
      let waiting: { pid: number }[] = [];
      await eventually(async () => {
        waiting = (
          await admin.query(
            `select pid from pg_stat_activity where application_name = 'a2a-gateway' and wait_event_type = 'Lock'`,
          )
        ).rows;
        return waiting.length === 1;
      });
      await admin.query('select pg_terminate_backend($1)', [waiting[0]!.pid]);
      const error = await append;
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/unreachable during append to victim/);
    } finally {
      await blocker.query('rollback');
      blocker.release();
    }
    const events = await store.readStream('victim');
    expect(events.map((event) => event.type)).toEqual(['test.before']);
    // The pool replaced the dead connection: the store keeps working.
    await store.append('victim', [{ type: 'test.after', data: {} }], { expectedVersion: 1 });
  });
});
