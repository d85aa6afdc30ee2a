import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createEventRegistry,
  type EventRegistry,
  type NewEvent,
  type StoredEvent,
  ValidationError,
} from '../../src/events/index.js';
import {
  ConcurrencyError,
  DuplicateEventError,
  type EventStore,
  StoreClosedError,
  startDurableSubscriber,
} from '../../src/store/index.js';
import { eventually, nothingWithin, take } from '../support/collect.js';

export interface StoreOptions {
  registry?: EventRegistry;
  now?: () => Date;
}

/** How the suite gets stores of one adapter. */
export interface StoreHarness {
  /** A fresh, empty store. */
  create(options?: StoreOptions): Promise<EventStore>;
  /** Closes `store` and opens the same storage again (a restart). */
  reopen?(store: EventStore, options?: StoreOptions): Promise<EventStore>;
  /** Makes the database itself fail, mid-batch, any append holding an event of `type`. */
  failInsertsOfType?(store: EventStore, type: string): Promise<void>;
}

const happened = (data: Record<string, unknown> = {}, extra: Partial<NewEvent> = {}): NewEvent => ({
  type: 'test.happened',
  data,
  ...extra,
});

/**
 * The EventStore contract: every adapter passes exactly these tests
 * (ARCHITECTURE.md, "Contract tests").
 */
export function eventStoreContract(name: string, harness: StoreHarness): void {
  describe(`EventStore contract: ${name}`, () => {
    const open: EventStore[] = [];
    async function fresh(options?: StoreOptions): Promise<EventStore> {
      const store = await harness.create(options);
      open.push(store);
      return store;
    }
    afterEach(async () => {
      await Promise.all(open.splice(0).map((store) => store.close().catch(() => {})));
    });

    describe('append', () => {
      it('numbers stream versions from 1 without gaps and positions in increasing order', async () => {
        const store = await fresh();
        const first = await store.append('s-1', [happened({ n: 1 }), happened({ n: 2 })]);
        const second = await store.append('s-1', [happened({ n: 3 })]);
        expect(first.nextExpectedVersion).toBe(2);
        expect(second.nextExpectedVersion).toBe(3);
        const positions = [...first.positions, ...second.positions];
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(new Set(positions).size).toBe(3);
        const events = await store.readStream('s-1');
        expect(events.map((event) => event.streamVersion)).toEqual([1, 2, 3]);
        expect(events.map((event) => event.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
        expect(events.map((event) => event.globalPosition)).toEqual(positions);
      });

      it('stores the whole envelope and fills in its defaults', async () => {
        const store = await fresh();
        const id = randomUUID();
        const at = new Date('2026-01-02T03:04:05.678Z');
        await store.append('s-env', [
          happened(
            { ok: true },
            {
              id,
              correlationId: 'corr-1',
              causationId: 'cause-1',
              timestamp: at,
              metadata: { tenant: 'acme', principal: 'agent-7', traceparent: 'tp', source: 'test' },
            },
          ),
          happened(),
        ]);
        const [first, second] = await store.readStream('s-env');
        expect(first).toEqual({
          id,
          type: 'test.happened',
          schemaVersion: 1,
          streamId: 's-env',
          streamVersion: 1,
          globalPosition: expect.any(Number),
          timestamp: at.toISOString(),
          correlationId: 'corr-1',
          causationId: 'cause-1',
          metadata: { tenant: 'acme', principal: 'agent-7', traceparent: 'tp', source: 'test' },
          data: { ok: true },
        });
        expect(second?.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(second?.correlationId).toBe(second?.id);
        expect(second?.causationId).toBeNull();
        expect(second?.metadata).toEqual({});
      });

      it('checks a numeric expected version and reports expected and actual on conflict', async () => {
        const store = await fresh();
        await store.append('s-v', [happened(), happened()], { expectedVersion: 0 });
        await store.append('s-v', [happened()], { expectedVersion: 2 });
        const error = await store
          .append('s-v', [happened()], { expectedVersion: 2 })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ streamId: 's-v', expectedVersion: 2, actualVersion: 3 });
        expect((await store.readStream('s-v')).length).toBe(3);
      });

      it('honours no_stream, stream_exists and any', async () => {
        const store = await fresh();
        await expect(
          store.append('s-m', [happened()], { expectedVersion: 'stream_exists' }),
        ).rejects.toMatchObject({ name: 'ConcurrencyError', actualVersion: 0 });
        await store.append('s-m', [happened()], { expectedVersion: 'no_stream' });
        await expect(
          store.append('s-m', [happened()], { expectedVersion: 'no_stream' }),
        ).rejects.toMatchObject({ name: 'ConcurrencyError', actualVersion: 1 });
        await expect(
          store.append('s-m', [happened()], { expectedVersion: 0 }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
        await store.append('s-m', [happened()], { expectedVersion: 'stream_exists' });
        const result = await store.append('s-m', [happened()], { expectedVersion: 'any' });
        expect(result.nextExpectedVersion).toBe(3);
      });

      it('lets exactly one of many racing appends with the same expected version win', async () => {
        const store = await fresh();
        await store.append('s-race', [happened()]);
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            store.append('s-race', [happened({ i })], { expectedVersion: 1 }),
          ),
        );
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        const failures = results.filter((result) => result.status === 'rejected');
        expect(failures).toHaveLength(7);
        for (const failure of failures) expect(failure.reason).toBeInstanceOf(ConcurrencyError);
        expect((await store.readStream('s-race')).map((event) => event.streamVersion)).toEqual([
          1, 2,
        ]);
      });

      it('is idempotent on event id: a retried batch returns the original positions', async () => {
        const store = await fresh();
        const batch = [
          happened({ a: 1 }, { id: randomUUID() }),
          happened({ a: 2 }, { id: randomUUID() }),
        ];
        const original = await store.append('s-idem', batch, { expectedVersion: 'no_stream' });
        await store.append('s-idem', [happened({ a: 3 })]);
        // The retry carries the expected version of the first try: still the original answer.
        const retried = await store.append('s-idem', batch, { expectedVersion: 'no_stream' });
        expect(retried).toEqual({ ...original, alreadyAppended: true, events: [] });
        expect(original.alreadyAppended).toBe(false);
        // What the append hands back is what a read returns.
        expect(original.events).toEqual((await store.readStream('s-idem')).slice(0, 2));
        expect((await store.readStream('s-idem')).length).toBe(3);
      });

      it('answers concurrent retries of one batch with one write', async () => {
        const store = await fresh();
        const batch = [happened({ a: 1 }, { id: randomUUID() })];
        const results = await Promise.all(
          Array.from({ length: 6 }, () =>
            store.append('s-twins', batch, { expectedVersion: 'any' }),
          ),
        );
        expect(new Set(results.map((result) => result.positions[0])).size).toBe(1);
        expect(results.filter((result) => !result.alreadyAppended)).toHaveLength(1);
        expect((await store.readStream('s-twins')).length).toBe(1);
      });

      it('refuses a batch whose ids are stored only in part, or in another stream', async () => {
        const store = await fresh();
        const stored = happened({}, { id: randomUUID() });
        await store.append('s-dup', [stored]);
        await expect(
          store.append('s-dup', [stored, happened({}, { id: randomUUID() })]),
        ).rejects.toBeInstanceOf(DuplicateEventError);
        await expect(store.append('s-other', [stored])).rejects.toBeInstanceOf(DuplicateEventError);
        expect((await store.readStream('s-dup')).length).toBe(1);
        expect(await store.readStream('s-other')).toEqual([]);
      });

      it('writes nothing of a batch with one invalid event, and names the field', async () => {
        const registry = createEventRegistry().register({
          type: 'test.counted',
          version: 1,
          schema: z.object({ count: z.number().int() }),
        });
        const store = await fresh({ registry });
        const error = await store
          .append('s-bad', [
            { type: 'test.counted', data: { count: 1 } },
            { type: 'test.counted', data: { count: 'two' } },
          ])
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('events[1].data.count');
        expect(await store.readStream('s-bad')).toEqual([]);
        expect(await store.streamInfo('s-bad')).toBeUndefined();
      });

      it('refuses unknown types when a registry is set, and malformed envelopes always', async () => {
        const registry = createEventRegistry().register({
          type: 'test.counted',
          version: 1,
          schema: z.object({ count: z.number() }),
        });
        const store = await fresh({ registry });
        await expect(
          store.append('s-x', [{ type: 'test.unknown', data: {} }]),
        ).rejects.toMatchObject({
          name: 'ValidationError',
          field: 'events[0].type',
        });
        await expect(store.append('s-x', [{ type: 'NotDotted', data: {} }])).rejects.toMatchObject({
          field: 'events[0].type',
        });
        await expect(
          store.append('s-x', [{ type: 'test.counted', id: 'not-a-uuid', data: { count: 1 } }]),
        ).rejects.toMatchObject({ field: 'events[0].id' });
        await expect(store.append('s-x', [])).rejects.toMatchObject({ field: 'events' });
        await expect(
          store.append('s-x', [{ type: 'test.counted', data: { count: 1 } }], {
            expectedVersion: -1,
          }),
        ).rejects.toMatchObject({ field: 'expectedVersion' });
        expect(await store.readStream('s-x')).toEqual([]);
      });

      it('refuses text holding U+0000, which PostgreSQL cannot store, naming the field', async () => {
        const store = await fresh();
        await expect(
          store.append('s-nul', [happened({ ok: 1 }), happened({ nested: ['fine', 'bad\u0000'] })]),
        ).rejects.toMatchObject({ name: 'ValidationError', field: 'events[1].data.nested[1]' });
        expect(await store.readStream('s-nul')).toEqual([]);
      });

      // Only adapters with a database to fail define this test (memory has none).
      if (harness.failInsertsOfType)
        it('writes nothing when the database fails in the middle of a batch', async () => {
          const store = await fresh();
          await store.append('s-mid', [happened()]);
          await harness.failInsertsOfType!(store, 'test.poison');
          const error = await store
            .append('s-mid', [
              happened(),
              happened(),
              { type: 'test.poison', data: {} },
              happened(),
            ])
            .catch((caught: unknown) => caught);
          expect(error).toMatchObject({ name: 'StoreError' });
          expect((error as Error).message).toMatch(/append to s-mid failed/);
          expect((await store.readStream('s-mid')).length).toBe(1);
          expect((await store.streamInfo('s-mid'))?.version).toBe(1);
          // The stream is intact: the next append continues at version 2.
          expect(
            (await store.append('s-mid', [happened()], { expectedVersion: 1 })).nextExpectedVersion,
          ).toBe(2);
        });
      if (harness.failInsertsOfType)
        it('fails only the bad append when concurrent appends share a round trip', async () => {
          const store = await fresh();
          await harness.failInsertsOfType!(store, 'test.poison');
          const results = await Promise.allSettled([
            ...Array.from({ length: 6 }, (_, i) => store.append(`good-${i}`, [happened({ i })])),
            store.append('bad', [{ type: 'test.poison', data: {} }]),
            ...Array.from({ length: 6 }, (_, i) =>
              store.append(`good-${i + 6}`, [happened({ i })]),
            ),
          ]);
          expect(results.map((result) => result.status)).toEqual([
            ...Array(6).fill('fulfilled'),
            'rejected',
            ...Array(6).fill('fulfilled'),
          ]);
          expect((await store.readAll()).events).toHaveLength(12);
        });
    });

    describe('reads', () => {
      it('reads a stream between versions, forwards and backwards, with a limit', async () => {
        const store = await fresh();
        await store.append(
          's-r',
          Array.from({ length: 10 }, (_, n) => happened({ n: n + 1 })),
        );
        const versions = (events: StoredEvent[]) => events.map((event) => event.streamVersion);
        expect(versions(await store.readStream('s-r', { fromVersion: 3, toVersion: 5 }))).toEqual([
          3, 4, 5,
        ]);
        expect(versions(await store.readStream('s-r', { fromVersion: 8 }))).toEqual([8, 9, 10]);
        expect(versions(await store.readStream('s-r', { limit: 2 }))).toEqual([1, 2]);
        expect(
          versions(await store.readStream('s-r', { direction: 'backwards', limit: 3 })),
        ).toEqual([10, 9, 8]);
        expect(
          versions(
            await store.readStream('s-r', { direction: 'backwards', fromVersion: 4, toVersion: 2 }),
          ),
        ).toEqual([4, 3, 2]);
        expect(await store.readStream('no-such-stream')).toEqual([]);
      });

      it('reads all streams in global order, filtered by type and tenant, page by page', async () => {
        const store = await fresh();
        await store.append('a', [happened({ n: 1 }, { metadata: { tenant: 't1' } })]);
        await store.append('b', [
          { type: 'test.other', data: { n: 2 }, metadata: { tenant: 't2' } },
        ]);
        await store.append('a', [happened({ n: 3 }, { metadata: { tenant: 't2' } })]);
        await store.append('c', [happened({ n: 4 })]);

        const all = await store.readAll();
        expect(all.events.map((event) => event.data)).toEqual([
          { n: 1 },
          { n: 2 },
          { n: 3 },
          { n: 4 },
        ]);
        expect(all.next).toBeNull();

        const byType = await store.readAll({ types: ['test.other'] });
        expect(byType.events.map((event) => event.streamId)).toEqual(['b']);
        const byTenant = await store.readAll({ tenant: 't2' });
        expect(byTenant.events.map((event) => event.data)).toEqual([{ n: 2 }, { n: 3 }]);

        const seen: unknown[] = [];
        let after: number | undefined;
        for (let page = 0; page < 5; page++) {
          const result = await store.readAll({ after, limit: 3 });
          seen.push(...result.events.map((event) => event.data));
          if (result.next === null) break;
          after = result.next;
        }
        expect(seen).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
      });

      it('reads by correlation id and by time range', async () => {
        let clock = Date.parse('2026-03-01T00:00:00.000Z');
        const store = await fresh({ now: () => new Date(clock) });
        await store.append('x', [happened({ n: 1 }, { correlationId: 'req-1' })]);
        clock += 60_000;
        await store.append('y', [happened({ n: 2 }, { correlationId: 'req-2' })]);
        clock += 60_000;
        await store.append('z', [happened({ n: 3 }, { correlationId: 'req-1', causationId: 'x' })]);

        const correlated = await store.readByCorrelation('req-1');
        expect(correlated.events.map((event) => event.data)).toEqual([{ n: 1 }, { n: 3 }]);
        const window = await store.readByTime({
          from: new Date('2026-03-01T00:01:00.000Z'),
          to: new Date('2026-03-01T00:02:00.000Z'),
        });
        expect(window.events.map((event) => event.data)).toEqual([{ n: 2 }]);
        const paged = await store.readByCorrelation('req-1', { limit: 1 });
        expect(paged.events).toHaveLength(1);
        const rest = await store.readByCorrelation('req-1', { after: paged.next ?? 0 });
        expect(rest.events.map((event) => event.data)).toEqual([{ n: 3 }]);
      });

      it('tells the position of the newest committed event', async () => {
        const store = await fresh();
        expect(await store.headPosition()).toBe(0);
        await store.append('h', [happened()]);
        const { positions } = await store.append('i', [happened(), happened()]);
        expect(await store.headPosition()).toBe(positions[1]);
      });

      it('tells a stream’s version, event count and first and last timestamps', async () => {
        let clock = Date.parse('2026-04-01T10:00:00.000Z');
        const store = await fresh({ now: () => new Date(clock) });
        await store.append('info', [happened()]);
        clock += 5_000;
        await store.append('info', [happened(), happened()]);
        expect(await store.streamInfo('info')).toEqual({
          streamId: 'info',
          version: 3,
          eventCount: 3,
          firstTimestamp: '2026-04-01T10:00:00.000Z',
          lastTimestamp: '2026-04-01T10:00:05.000Z',
        });
        expect(await store.streamInfo('nothing-here')).toBeUndefined();
      });

      it('hands out old event versions in their latest shape through upcasters', async () => {
        const v1 = createEventRegistry().register({
          type: 'test.named',
          version: 1,
          schema: z.object({ name: z.string() }),
        });
        const store = await fresh({ registry: v1 });
        await store.append('up', [{ type: 'test.named', data: { name: 'Ada Lovelace' } }]);

        const v2 = createEventRegistry()
          .register({ type: 'test.named', version: 1, schema: z.object({ name: z.string() }) })
          .register({
            type: 'test.named',
            version: 2,
            schema: z.object({ first: z.string(), last: z.string() }),
            upcast: (previous) => {
              const [first = '', last = ''] = (previous as { name: string }).name.split(' ');
              return { first, last };
            },
          });
        // Without a restart the memory store keeps its registry: upcasting is then a unit concern.
        if (!harness.reopen) return;
        const upgraded = await harness.reopen(store, { registry: v2 });
        open.push(upgraded);
        const [event] = await upgraded.readStream('up');
        expect(event).toMatchObject({ schemaVersion: 2, data: { first: 'Ada', last: 'Lovelace' } });
        const [fromAll] = (await upgraded.readAll()).events;
        expect(fromAll?.data).toEqual({ first: 'Ada', last: 'Lovelace' });
      });
    });

    describe('snapshots', () => {
      type Tally = { total: number; count: number };
      const evolve = (state: Tally, event: StoredEvent): Tally => ({
        total: state.total + (event.data as { n: number }).n,
        count: state.count + 1,
      });

      it('rebuilds the same state from snapshot plus tail as from a full replay', async () => {
        const store = await fresh();
        await store.append(
          'tally',
          Array.from({ length: 7 }, (_, n) => happened({ n: n + 1 })),
        );
        const upToFive = (await store.readStream('tally', { toVersion: 5 })).reduce(evolve, {
          total: 0,
          count: 0,
        });
        await store.saveSnapshot('tally', 5, upToFive);
        await store.append('tally', [happened({ n: 100 })]);

        const snapshot = await store.loadSnapshot<Tally>('tally');
        expect(snapshot).toMatchObject({ streamId: 'tally', version: 5, state: upToFive });
        const tail = await store.readStream('tally', { fromVersion: snapshot!.version + 1 });
        const fromSnapshot = tail.reduce(evolve, snapshot!.state);
        const fromReplay = (await store.readStream('tally')).reduce(evolve, { total: 0, count: 0 });
        expect(fromSnapshot).toEqual(fromReplay);
        expect(fromReplay).toEqual({ total: 128, count: 8 });
      });

      it('keeps the newest snapshot when an older one arrives late', async () => {
        const store = await fresh();
        await store.saveSnapshot('snap', 9, { v: 9 });
        await store.saveSnapshot('snap', 4, { v: 4 });
        expect((await store.loadSnapshot('snap'))?.state).toEqual({ v: 9 });
        expect(await store.loadSnapshot('no-snap')).toBeUndefined();
      });
    });

    describe('retention: deleting and importing streams', () => {
      it('deletes a stream whole: events, version and snapshot; other streams stay', async () => {
        const store = await fresh();
        await store.append('old', [happened({ n: 1 }), happened({ n: 2 })]);
        await store.append('kept', [happened({ n: 3 })]);
        await store.saveSnapshot('old', 2, { n: 2 });
        const keptBefore = await store.readStream('kept');

        expect(await store.deleteStream('old')).toBe(2);
        expect(await store.readStream('old')).toEqual([]);
        expect(await store.streamInfo('old')).toBeUndefined();
        expect(await store.loadSnapshot('old')).toBeUndefined();
        expect((await store.readAll()).events.map((event) => event.streamId)).toEqual(['kept']);
        expect(await store.readStream('kept')).toEqual(keptBefore);
        expect(await store.deleteStream('never-was')).toBe(0);
        // Positions never go back: what comes next is after everything ever stored.
        const next = await store.append('kept', [happened({ n: 4 })]);
        expect(next.positions[0]).toBeGreaterThan(keptBefore[0]!.globalPosition);
      });

      it('imports archived events with their ids, versions and positions', async () => {
        const store = await fresh();
        await store.append('archived', [happened({ n: 1 })], { expectedVersion: 'no_stream' });
        await store.append('other', [happened({ n: 2 })]);
        await store.append('archived', [happened({ n: 3 })]);
        const archived = await store.readStream('archived');
        const before = (await store.readAll()).events;
        await store.deleteStream('archived');

        await store.importEvents(archived);
        expect(await store.readStream('archived')).toEqual(archived);
        expect((await store.readAll()).events).toEqual(before);
        expect(await store.streamInfo('archived')).toMatchObject({ version: 2, eventCount: 2 });
        // The restored stream goes on where it ended.
        const next = await store.append('archived', [happened({ n: 4 })], { expectedVersion: 2 });
        expect(next.nextExpectedVersion).toBe(3);
        // Imported again: its ids and versions are taken.
        await expect(store.importEvents(archived)).rejects.toBeInstanceOf(DuplicateEventError);
        expect(await store.readStream('archived')).toHaveLength(3);
      });
    });

    describe('subscriptions', () => {
      it('catches up on stored events, then delivers live ones, each once and in order', async () => {
        const store = await fresh();
        await store.append('sub-a', [happened({ n: 1 }), happened({ n: 2 })]);
        const subscription = store.subscribe({ from: 'start' });
        const reading = take(subscription, 5);
        await store.append('sub-b', [happened({ n: 3 })]);
        await store.append('sub-a', [happened({ n: 4 }), happened({ n: 5 })]);
        const events = await reading;
        expect(events.map((event) => event.data)).toEqual([
          { n: 1 },
          { n: 2 },
          { n: 3 },
          { n: 4 },
          { n: 5 },
        ]);
      });

      it('starts after a given position, or at the end, and filters by stream and type', async () => {
        const store = await fresh();
        const first = await store.append('f', [happened({ n: 1 }), happened({ n: 2 })]);
        const fromPosition = store.subscribe({ from: first.positions[0] });
        const fromEnd = store.subscribe({ from: 'end' });
        const onlyG = store.subscribe({ from: 'start', streamId: 'g' });
        const onlyOther = store.subscribe({ from: 'start', types: ['test.other'] });
        const readers = [
          take(fromPosition, 2),
          take(fromEnd, 1),
          take(onlyG, 1),
          take(onlyOther, 1),
        ];
        // `end` is the head at the call; `ready` says when a shared store has read it.
        expect(await fromEnd.ready).toBeGreaterThanOrEqual(first.positions[1]!);
        await store.append('g', [{ type: 'test.other', data: { n: 3 } }]);
        const [a, b, c, d] = await Promise.all(readers);
        expect(a?.map((event) => event.data)).toEqual([{ n: 2 }, { n: 3 }]);
        expect(b?.map((event) => event.data)).toEqual([{ n: 3 }]);
        expect(c?.map((event) => event.streamId)).toEqual(['g']);
        expect(d?.map((event) => event.type)).toEqual(['test.other']);
      });

      it('follows one stream after a version: stored events, then each new one once, in order', async () => {
        const store = await fresh();
        await store.append('one', [happened({ n: 1 }), happened({ n: 2 })]);
        await store.append('other', [happened({ n: 99 })]);
        const subscription = store.subscribeToStream('one', { afterVersion: 1 });
        const reading = take(subscription, 3);
        await store.append('other', [happened({ n: 98 })]);
        await store.append('one', [happened({ n: 3 })]);
        await store.append('one', [happened({ n: 4 })]);
        const events = await reading;
        expect(events.map((event) => [event.streamVersion, event.data])).toEqual([
          [2, { n: 2 }],
          [3, { n: 3 }],
          [4, { n: 4 }],
        ]);
        expect(subscription.position).toBe(events[2]!.globalPosition);
        expect(await subscription.ready).toBe(0);
      });

      it('follows a stream that many writers append to, every version once and in order', async () => {
        const store = await fresh();
        const subscription = store.subscribeToStream('contended');
        const reading = take(subscription, 8 * 15, 30_000);
        await Promise.all(
          Array.from({ length: 8 }, async (_, w) => {
            for (let i = 0; i < 15; i++) await store.append('contended', [happened({ w, i })]);
          }),
        );
        const events = await reading;
        expect(events.map((event) => event.streamVersion)).toEqual(
          Array.from({ length: 120 }, (_, i) => i + 1),
        );
      });

      it('starts a stream subscription on a stream that does not exist yet', async () => {
        const store = await fresh();
        const subscription = store.subscribeToStream('later');
        const reading = take(subscription, 1);
        await store.append('later', [happened({ n: 1 })]);
        expect((await reading).map((event) => event.data)).toEqual([{ n: 1 }]);
      });

      it('lets a subscriber joining near the head catch up from the live window, then follow', async () => {
        const store = await fresh();
        const keeper = store.subscribe({ from: 'start' });
        const kept = take(keeper, 6);
        const { positions } = await store.append(
          'near',
          Array.from({ length: 5 }, (_, n) => happened({ n })),
        );
        await eventually(() => keeper.position >= positions[4]!);
        const joiner = store.subscribe({ from: positions[1] });
        const joined = take(joiner, 4);
        await store.append('near', [happened({ n: 5 })]);
        expect((await joined).map((event) => event.data)).toEqual([
          { n: 2 },
          { n: 3 },
          { n: 4 },
          { n: 5 },
        ]);
        expect((await kept).map((event) => event.data)).toHaveLength(6);
      });

      it('never skips or repeats an event while 8 writers append concurrently', async () => {
        const store = await fresh();
        const writers = 8;
        const perWriter = 40;
        const subscription = store.subscribe({ from: 'end' });
        const reading = take(subscription, writers * perWriter, 30_000);
        const appended = await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            const positions: number[] = [];
            for (let i = 0; i < perWriter; i++) {
              // Half the writers share one stream to contend on its version too.
              const stream = w % 2 === 0 ? `writer-${w}` : 'shared';
              const result = await store.append(stream, [happened({ w, i })]);
              positions.push(...result.positions);
            }
            return positions;
          }),
        );
        const events = await reading;
        const delivered = events.map((event) => event.globalPosition);
        expect(new Set(delivered).size).toBe(delivered.length);
        expect([...delivered].sort((a, b) => a - b)).toEqual(delivered);
        expect(new Set(delivered)).toEqual(new Set(appended.flat()));
        // Within a stream the global order is the stream order.
        const shared = events.filter((event) => event.streamId === 'shared');
        expect(shared.map((event) => event.streamVersion)).toEqual(shared.map((_, i) => i + 1));
      });

      it('lets a slow consumer fall behind without losing its place', async () => {
        const store = await fresh();
        const subscription = store.subscribe({ from: 'start', batchSize: 7 });
        const iterator = subscription[Symbol.asyncIterator]();
        await store.append(
          'slow',
          Array.from({ length: 30 }, (_, n) => happened({ n })),
        );
        const seen: unknown[] = [];
        for (let i = 0; i < 31; i++) {
          const next = await iterator.next();
          seen.push((next.value as StoredEvent).data);
          if (i === 10) await store.append('slow', [happened({ n: 30 })]);
        }
        expect(seen).toEqual(Array.from({ length: 31 }, (_, n) => ({ n })));
        expect(subscription.position).toBe((await store.readStream('slow')).at(-1)?.globalPosition);
        subscription.close();
      });

      it('frees everything when subscriptions close, by close(), return or abort', async () => {
        const store = await fresh();
        const baseline = store.stats();
        const controller = new AbortController();
        const subscriptions = Array.from({ length: 50 }, (_, i) =>
          i % 2 === 0
            ? store.subscribe({ from: 'end', signal: i === 0 ? controller.signal : undefined })
            : store.subscribeToStream('wake', { afterVersion: 0 }),
        );
        const iterators = subscriptions.map((subscription) => subscription[Symbol.asyncIterator]());
        const watchers = iterators.map((iterator) => nothingWithin(iterator, 30));
        expect((await Promise.all(watchers.map((watcher) => watcher.quiet()))).every(Boolean)).toBe(
          true,
        );
        expect(store.stats().subscriptions).toBe(baseline.subscriptions + 50);
        // Each one reaches the live feed once its catch-up read is done.
        await eventually(() => store.stats().liveListeners === baseline.liveListeners + 50);

        controller.abort();
        for (const subscription of subscriptions.slice(1, 25)) subscription.close();
        await store.append('wake', [happened()]);
        for (const watcher of watchers.slice(25)) {
          expect((await watcher.next()).value).toMatchObject({ streamId: 'wake' });
        }
        for (const iterator of iterators.slice(25)) await iterator.return?.();
        expect(store.stats()).toEqual(baseline);
      });

      it('ends open subscriptions when the store closes, and refuses work afterwards', async () => {
        const store = await fresh();
        const subscription = store.subscribe({ from: 'start' });
        const reading = (async () => {
          const events: StoredEvent[] = [];
          for await (const event of subscription) events.push(event);
          return events;
        })();
        await store.append('closing', [happened()]);
        const append = store.append('closing', [happened()]);
        await store.close();
        await expect(append).resolves.toMatchObject({ nextExpectedVersion: 2 });
        const events = await reading;
        expect(events.length).toBeLessThanOrEqual(2);
        await expect(store.append('closing', [happened()])).rejects.toBeInstanceOf(
          StoreClosedError,
        );
      });
    });

    describe('durable subscribers', () => {
      it('pass the events their filter drops: waiting for the head ends once they are live', async () => {
        const store = await fresh();
        const handled: unknown[] = [];
        const subscriber = await startDurableSubscriber(store, {
          name: 'only-happened',
          types: ['test.happened'],
          handle: async (event) => {
            handled.push(event.data);
          },
        });
        const mine = await store.append('p', [happened({ n: 1 })]);
        expect(await subscriber.waitFor(mine.positions[0]!)).toBe(true);
        // The head is now an event of another type: nothing will ever be handed over for it.
        const other = await store.append('q', [happened({ n: 2 }, { type: 'test.other' })]);
        expect(await subscriber.waitFor(other.positions[0]!, 3_000)).toBe(true);
        expect(subscriber.position).toBe(other.positions[0]);
        // A batch that ends with a dropped event counts it as passed as well.
        const mixed = await store.append('p', [
          happened({ n: 3 }),
          happened({ n: 4 }, { type: 'test.other' }),
        ]);
        expect(await subscriber.waitFor(mixed.positions[1]!, 3_000)).toBe(true);
        await subscriber.stop();
        expect(handled).toEqual([{ n: 1 }, { n: 3 }]);
      });

      it('resume after their checkpoint when restarted', async () => {
        const store = await fresh();
        await store.append('d', [happened({ n: 1 }), happened({ n: 2 })]);
        const handled: unknown[] = [];
        const first = await startDurableSubscriber(store, {
          name: 'projector',
          handle: async (event) => {
            handled.push(event.data);
          },
        });
        const { positions } = await store.append('d', [happened({ n: 3 })]);
        expect(await first.waitFor(positions[0]!)).toBe(true);
        await first.stop();
        expect(await store.loadCheckpoint('projector')).toBe(first.position);

        await store.append('d', [happened({ n: 4 })]);
        const restarted = harness.reopen ? await harness.reopen(store) : store;
        if (restarted !== store) open.push(restarted);
        const second = await startDurableSubscriber(restarted, {
          name: 'projector',
          handle: async (event) => {
            handled.push(event.data);
          },
        });
        const end = (await restarted.readAll()).events.at(-1)!.globalPosition;
        expect(await second.waitFor(end)).toBe(true);
        await second.stop();
        expect(handled).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
      });

      it('hand a batch handler what has arrived, in order, each event once', async () => {
        const store = await fresh();
        const batches: StoredEvent[][] = [];
        const subscriber = await startDurableSubscriber(store, {
          name: 'batching',
          handleBatch: async (events) => {
            batches.push(events);
            await new Promise((resolve) => setTimeout(resolve, 20));
          },
        });
        const appended: number[] = [];
        for (let i = 0; i < 5; i++) {
          appended.push(
            ...(
              await store.append(
                'b',
                Array.from({ length: 20 }, (_, n) => happened({ i, n })),
              )
            ).positions,
          );
        }
        expect(await subscriber.waitFor(appended.at(-1)!)).toBe(true);
        await subscriber.stop();
        expect(batches.flat().map((event) => event.globalPosition)).toEqual(appended);
        expect(Math.max(...batches.map((batch) => batch.length))).toBeGreaterThan(1);
      });

      it('hand a batch handler each catch-up read whole', async () => {
        const store = await fresh();
        const { positions } = await store.append(
          'backlog',
          Array.from({ length: 250 }, (_, n) => happened({ n })),
        );
        const batches: StoredEvent[][] = [];
        const subscriber = await startDurableSubscriber(store, {
          name: 'catching-up',
          maxBatch: 100,
          handleBatch: async (events) => {
            batches.push(events);
          },
        });
        expect(await subscriber.waitFor(positions.at(-1)!)).toBe(true);
        await subscriber.stop();
        expect(batches.flat().map((event) => event.globalPosition)).toEqual(positions);
        // 250 stored events in reads of 100: three batches, not 250.
        expect(batches.map((batch) => batch.length)).toEqual([100, 100, 50]);
      });

      it('write throttled checkpoints after a pause and when stopped', async () => {
        const store = await fresh();
        const subscriber = await startDurableSubscriber(store, {
          name: 'batched',
          handle: async () => {},
          checkpoint: { events: 1_000, ms: 30 },
        });
        const first = await store.append('t', [happened(), happened(), happened()]);
        expect(await subscriber.waitFor(first.positions[2]!)).toBe(true);
        await eventually(
          async () => (await store.loadCheckpoint('batched')) === first.positions[2],
        );
        const second = await store.append('t', [happened()]);
        expect(await subscriber.waitFor(second.positions[0]!)).toBe(true);
        await subscriber.stop();
        expect(await store.loadCheckpoint('batched')).toBe(second.positions[0]);
      });

      it('retry a failing event until it succeeds, never skipping it', async () => {
        const store = await fresh();
        await store.append('r', [happened({ n: 1 }), happened({ n: 2 })]);
        let failures = 0;
        const handled: unknown[] = [];
        const errors: unknown[] = [];
        const subscriber = await startDurableSubscriber(store, {
          name: 'retrying',
          handle: async (event) => {
            if ((event.data as { n: number }).n === 1 && failures < 2) {
              failures += 1;
              throw new Error('flaky');
            }
            handled.push(event.data);
          },
          onError: (error) => errors.push(error),
        });
        const last = (await store.readStream('r')).at(-1)!.globalPosition;
        expect(await subscriber.waitFor(last)).toBe(true);
        await subscriber.stop();
        expect(handled).toEqual([{ n: 1 }, { n: 2 }]);
        expect(errors).toHaveLength(2);
      });

      it('stop before a failed event, so it is handled again on restart', async () => {
        const store = await fresh();
        await store.append('e', [happened({ n: 1 }), happened({ n: 2 })]);
        const errors: unknown[] = [];
        const failing = await startDurableSubscriber(store, {
          name: 'fragile',
          handle: async (event) => {
            if ((event.data as { n: number }).n === 2) throw new Error('boom');
          },
          onError: (error) => errors.push(error),
          stopOnError: true,
        });
        const positions = (await store.readStream('e')).map((event) => event.globalPosition);
        expect(await failing.waitFor(positions[1]!, 1_000)).toBe(false);
        await failing.stop();
        expect(errors).toHaveLength(1);
        expect(await store.loadCheckpoint('fragile')).toBe(positions[0]);
      });
    });

    // Only adapters with storage that outlives the process define this (memory has none).
    if (harness.reopen)
      describe('restart', () => {
        it('keeps every stream, snapshot and checkpoint across a close and reopen', async () => {
          const store = await fresh();
          await store.append('keep', [happened({ n: 1 }), happened({ n: 2 })]);
          await store.saveSnapshot('keep', 2, { n: 2 });
          await store.saveCheckpoint('reader', 42);
          const before = await store.readAll();
          const reopened = await harness.reopen!(store);
          open.push(reopened);
          expect(await reopened.readAll()).toEqual(before);
          expect((await reopened.loadSnapshot('keep'))?.state).toEqual({ n: 2 });
          expect(await reopened.loadCheckpoint('reader')).toBe(42);
          const next = await reopened.append('keep', [happened({ n: 3 })], { expectedVersion: 2 });
          expect(next.nextExpectedVersion).toBe(3);
        });
      });
  });
}
