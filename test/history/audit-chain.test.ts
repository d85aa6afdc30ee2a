import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  STREAM_ARCHIVED,
  startAuditChainSealer,
  verifyAuditChain,
} from '../../src/audit-chain/index.js';
import {
  createPgClient,
  createPgliteClient,
  createPgliteEventStore,
  createPostgresEventStore,
  type DurableSubscriber,
  type EventStore,
  type SqlClient,
} from '../../src/store/index.js';
import { DATABASE_URL, describeEachDatabase, uniqueSchema } from '../support/services.js';

describeEachDatabase(
  'audit chain on $name: sealed per tenant, verified against the rows',
  ({ database }) => {
    const schema = uniqueSchema('chain');
    let store: EventStore;
    let client: SqlClient;
    let sealer: DurableSubscriber;
    let close: () => Promise<void>;

    const seal = () => startAuditChainSealer({ store, client, schema });
    const verify = (tenant?: string) =>
      verifyAuditChain(store, client, schema, tenant !== undefined ? { tenant } : {});
    const sealedAll = async () => {
      expect(await sealer.waitFor(await store.headPosition(), 20_000)).toBe(true);
    };
    const sql = (text: string, values: unknown[] = []) => client.query({ text, values });
    const append = (streamId: string, tenant: string | undefined, ...amounts: number[]) =>
      store.append(
        streamId,
        amounts.map((amount) => ({
          type: 'order.placed',
          data: { amount, note: 'ünïcödé ✓' },
          ...(tenant ? { metadata: { tenant } } : {}),
        })),
      );

    beforeAll(async () => {
      if (database === 'pglite') {
        const folder = await mkdtemp(join(tmpdir(), 'chain-'));
        const db = await PGlite.create(folder);
        store = await createPgliteEventStore({ pglite: db, schema });
        client = createPgliteClient(db, { owned: false });
        close = async () => {
          await store.close();
          await db.close();
          await rm(folder, { recursive: true, force: true });
        };
      } else {
        store = await createPostgresEventStore({ connectionString: DATABASE_URL!, schema });
        client = createPgClient({ connectionString: DATABASE_URL!, max: 2 });
        close = async () => {
          await store.close();
          await client.query({ text: `drop schema if exists ${schema} cascade`, values: [] });
          await client.close();
        };
      }
      sealer = await seal();
      await append('order-1', undefined, 1, 2, 3);
      await append('order-2', 'acme', 4, 5);
      await append('doomed', 'acme', 6, 7);
      await append('other', 'globex', 8);
      await append('order-1', undefined, 9);
      await sealedAll();
    });
    afterAll(async () => {
      await sealer?.stop();
      await close?.();
    });

    it('verifies an untouched store, every tenant and each alone', async () => {
      const all = await verify();
      expect(all.broken).toBeUndefined();
      expect(all).toMatchObject({ ok: true, verified: 9, archived: 0 });
      expect(all.sealedThrough).toBe(await store.headPosition());
      expect(Object.fromEntries(all.tenants.map((t) => [t.tenant, t.links]))).toEqual({
        '': 4,
        acme: 4,
        globex: 1,
      });
      expect(await verify('acme')).toMatchObject({ ok: true, tenant: 'acme', verified: 4 });
      expect(await verify('')).toMatchObject({ ok: true, verified: 4 });
      expect(await verify('nobody')).toMatchObject({ ok: true, verified: 0 });
    });

    it('names exactly the event whose stored row was edited behind its back', async () => {
      const [target] = await store.readStream('order-2', { fromVersion: 2, toVersion: 2 });
      const [chained] = await sql(
        `select hash from ${schema}.event_chain where global_position = $1`,
        [target!.globalPosition],
      );
      await sql(
        `update ${schema}.es_events set data = jsonb_set(data, '{amount}', '500') where event_id = $1`,
        [target!.id],
      );
      try {
        for (const result of [await verify(), await verify('acme')]) {
          expect(result.ok).toBe(false);
          expect(result.broken).toMatchObject({
            reason: 'hash_mismatch',
            tenant: 'acme',
            position: target!.globalPosition,
            eventId: target!.id,
            streamId: 'order-2',
            expected: chained!.hash,
          });
          expect(result.broken!.actual).not.toBe(chained!.hash);
        }
        // Another tenant's chain does not hold the edited event.
        expect((await verify('globex')).ok).toBe(true);
      } finally {
        await sql(
          `update ${schema}.es_events set data = jsonb_set(data, '{amount}', '5') where event_id = $1`,
          [target!.id],
        );
      }
      expect((await verify()).ok).toBe(true);
    });

    it('names an event moved to another tenant, and an event inserted without a link', async () => {
      const [moved] = await store.readStream('other');
      await sql(
        `update ${schema}.es_events set metadata = jsonb_set(metadata, '{tenant}', '"acme"') where event_id = $1`,
        [moved!.id],
      );
      try {
        expect((await verify()).broken).toMatchObject({
          reason: 'hash_mismatch',
          eventId: moved!.id,
          tenant: 'globex',
        });
      } finally {
        await sql(
          `update ${schema}.es_events set metadata = jsonb_set(metadata, '{tenant}', '"globex"') where event_id = $1`,
          [moved!.id],
        );
      }
      const [link] = await sql(
        `delete from ${schema}.event_chain where global_position = $1 returning *`,
        [moved!.globalPosition],
      );
      try {
        expect((await verify()).broken).toMatchObject({
          reason: 'not_sealed',
          eventId: moved!.id,
          position: moved!.globalPosition,
          streamId: 'other',
        });
      } finally {
        await sql(
          `insert into ${schema}.event_chain (global_position, tenant, stream_id, event_id, prev_hash, hash, sealed_at)
         values ($1, $2, $3, $4, $5, $6, $7)`,
          [
            link!.global_position,
            link!.tenant,
            link!.stream_id,
            link!.event_id,
            link!.prev_hash,
            link!.hash,
            link!.sealed_at,
          ],
        );
      }
      expect((await verify()).ok).toBe(true);
    });

    it('names a deleted event as missing, unless retention archived its stream', async () => {
      const doomed = await store.readStream('doomed');
      await sql(`delete from ${schema}.es_events where stream_id = 'doomed'`);
      expect((await verify('acme')).broken).toMatchObject({
        reason: 'event_missing',
        eventId: doomed[0]!.id,
        position: doomed[0]!.globalPosition,
        streamId: 'doomed',
      });
      // Archived for another tenant only: still missing.
      await store.append('retention', [
        { type: STREAM_ARCHIVED, data: { streamId: 'doomed', tenant: 'globex' } },
      ]);
      await sealedAll();
      expect((await verify('acme')).broken?.reason).toBe('event_missing');
      await store.append('retention', [
        { type: STREAM_ARCHIVED, data: { streamId: 'doomed', tenant: 'acme', reason: 'age' } },
      ]);
      await sealedAll();
      expect(await verify('acme')).toMatchObject({ ok: true, archived: 2 });
      expect(await verify()).toMatchObject({ ok: true, archived: 2 });
    });

    it('resumes after a restart without chaining an event twice, and a cut tail is seen', async () => {
      await sealer.stop();
      await append('order-3', 'acme', 10);
      sealer = await seal();
      await append('order-3', 'acme', 11);
      await sealedAll();
      const count = async (table: string) =>
        Number((await sql(`select count(*)::int as n from ${schema}.${table}`))[0]!.n);
      // The two archived links stay; every event has exactly one.
      expect(await count('event_chain')).toBe((await count('es_events')) + 2);
      expect((await verify()).ok).toBe(true);

      const last = (await store.readStream('order-3')).at(-1)!;
      await sealer.stop(); // its checkpoint now names the last event
      await sql(`delete from ${schema}.event_chain where global_position = $1`, [
        last.globalPosition,
      ]);
      expect((await verify()).broken).toMatchObject({ reason: 'not_sealed', eventId: last.id });
      sealer = await seal();
    });
  },
);
