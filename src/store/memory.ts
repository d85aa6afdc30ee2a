import type { EventRegistry, NewEvent, StoredEvent } from '../events/index.js';
import { ConcurrencyError, DuplicateEventError, StoreClosedError } from './errors.js';
import type {
  AppendOptions,
  AppendResult,
  EventPage,
  EventStore,
  GlobalReadOptions,
  ReadStreamOptions,
  Snapshot,
  StreamInfo,
} from './event-store.js';
import { satisfiesExpectedVersion } from './expected-version.js';
import { assertNoNul, prepareAppend } from './prepare-append.js';
import { pageOf, readLimit, upcastWith } from './read-helpers.js';
import { type EventFilter, matchesFilter } from './stable-reader.js';
import { createSubscriptionHub } from './subscription-hub.js';

export interface MemoryEventStoreOptions {
  registry?: EventRegistry;
  now?: () => Date;
}

/** Ephemeral store for tests and demos: the same contract as the database adapters. */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const now = options.now ?? (() => new Date());
  const upcast = upcastWith(options.registry);
  // Index p - 1 holds position p; a deleted stream leaves holes (retention).
  const all: (StoredEvent | undefined)[] = [];
  const streams = new Map<string, StoredEvent[]>();
  const byId = new Map<string, StoredEvent>();
  const snapshots = new Map<string, Snapshot>();
  const checkpoints = new Map<string, number>();
  let closed = false;

  const reader = {
    async readStable(after: number, limit: number, filter?: EventFilter, upTo?: number) {
      const out: StoredEvent[] = [];
      for (let i = firstAfter(after); i < all.length && out.length < limit; i++) {
        const event = all[i];
        if (!event) continue;
        if (upTo !== undefined && event.globalPosition > upTo) break;
        if (matchesFilter(event, filter)) out.push(upcast(event));
      }
      return out;
    },
    async stableHead() {
      return all.length;
    },
  };
  const hub = createSubscriptionHub(reader, {
    // Appends run one at a time, in position order: the feed needs no reads.
    exclusive: { head: 0 },
    readStream: async (streamId, fromVersion, limit) =>
      (streams.get(streamId) ?? []).slice(fromVersion - 1, fromVersion - 1 + limit).map(upcast),
  });

  // Positions are 1, 2, 3…: the index of position p is p - 1.
  function firstAfter(after: number): number {
    return Math.max(0, Math.floor(after));
  }

  function assertOpen(): void {
    if (closed) throw new StoreClosedError();
  }

  function globalPage(match: (event: StoredEvent) => boolean, options: GlobalReadOptions = {}) {
    const limit = readLimit(options.limit);
    const filter: EventFilter = { types: options.types, tenant: options.tenant };
    const events: StoredEvent[] = [];
    for (let i = firstAfter(options.after ?? 0); i < all.length && events.length < limit; i++) {
      const event = all[i];
      if (event && matchesFilter(event, filter) && match(event)) events.push(upcast(event));
    }
    return pageOf(events, limit);
  }

  return {
    async append(streamId: string, input: readonly NewEvent[], appendOptions: AppendOptions = {}) {
      assertOpen();
      const expected = appendOptions.expectedVersion ?? 'any';
      const prepared = prepareAppend(streamId, input, expected, {
        registry: options.registry,
        now,
      });
      assertNoNul(prepared);
      // Round-trip through JSON so this store hands back what a database would.
      const json = JSON.stringify(prepared);
      const stream = streams.get(streamId) ?? [];

      const existing = prepared.map((event) => byId.get(event.id));
      if (existing.some(Boolean)) {
        const same = existing.every((event) => event?.streamId === streamId);
        if (!same)
          throw new DuplicateEventError(
            streamId,
            prepared.map((event) => event.id),
          );
        return replayed(streamId, existing as StoredEvent[]);
      }
      if (!satisfiesExpectedVersion(expected, stream.length)) {
        throw new ConcurrencyError(streamId, expected, stream.length);
      }

      const copies = JSON.parse(json) as typeof prepared;
      const stored = copies.map<StoredEvent>((event, index) => ({
        ...event,
        streamId,
        streamVersion: stream.length + index + 1,
        globalPosition: all.length + index + 1,
      }));
      stream.push(...stored);
      streams.set(streamId, stream);
      all.push(...stored);
      for (const event of stored) byId.set(event.id, event);
      const events = stored.map(upcast);
      hub.committed(events);
      return {
        streamId,
        nextExpectedVersion: stream.length,
        positions: stored.map((event) => event.globalPosition),
        alreadyAppended: false,
        events,
      } satisfies AppendResult;
    },

    async readStream(streamId: string, readOptions: ReadStreamOptions = {}) {
      assertOpen();
      const stream = streams.get(streamId) ?? [];
      const limit = readLimit(readOptions.limit, Number.MAX_SAFE_INTEGER);
      if (readOptions.direction === 'backwards') {
        const from = readOptions.fromVersion ?? stream.length;
        const to = readOptions.toVersion ?? 1;
        return stream
          .filter((event) => event.streamVersion <= from && event.streamVersion >= to)
          .reverse()
          .slice(0, limit)
          .map(upcast);
      }
      const from = readOptions.fromVersion ?? 1;
      const to = readOptions.toVersion ?? Number.MAX_SAFE_INTEGER;
      return stream
        .filter((event) => event.streamVersion >= from && event.streamVersion <= to)
        .slice(0, limit)
        .map(upcast);
    },

    async readAll(readOptions?: GlobalReadOptions): Promise<EventPage> {
      assertOpen();
      return globalPage(() => true, readOptions);
    },

    async readByCorrelation(correlationId: string, readOptions?: GlobalReadOptions) {
      assertOpen();
      return globalPage((event) => event.correlationId === correlationId, readOptions);
    },

    async readByTime(range: { from: Date; to: Date }, readOptions?: GlobalReadOptions) {
      assertOpen();
      const from = range.from.getTime();
      const to = range.to.getTime();
      return globalPage((event) => {
        const at = Date.parse(event.timestamp);
        return at >= from && at < to;
      }, readOptions);
    },

    async headPosition() {
      assertOpen();
      return all.length;
    },

    async streamInfo(streamId: string): Promise<StreamInfo | undefined> {
      assertOpen();
      const stream = streams.get(streamId);
      if (!stream?.length) return undefined;
      return {
        streamId,
        version: stream.length,
        eventCount: stream.length,
        firstTimestamp: stream[0]!.timestamp,
        lastTimestamp: stream[stream.length - 1]!.timestamp,
      };
    },

    async saveSnapshot(streamId, version, state) {
      assertOpen();
      const current = snapshots.get(streamId);
      if (current && current.version > version) return;
      snapshots.set(streamId, {
        streamId,
        version,
        state: JSON.parse(JSON.stringify(state)),
        savedAt: now().toISOString(),
      });
    },

    async loadSnapshot<S>(streamId: string) {
      assertOpen();
      return snapshots.get(streamId) as Snapshot<S> | undefined;
    },

    subscribe(subscribeOptions) {
      assertOpen();
      return hub.subscribe(subscribeOptions);
    },

    subscribeToStream(streamId, streamOptions) {
      assertOpen();
      return hub.subscribeToStream(streamId, streamOptions);
    },

    async deleteStream(streamId) {
      assertOpen();
      const stream = streams.get(streamId) ?? [];
      for (const event of stream) {
        all[event.globalPosition - 1] = undefined;
        byId.delete(event.id);
      }
      streams.delete(streamId);
      snapshots.delete(streamId);
      return stream.length;
    },

    async importEvents(events) {
      assertOpen();
      const copies = JSON.parse(JSON.stringify(events)) as StoredEvent[];
      const byStream = new Map<string, StoredEvent[]>();
      for (const event of copies) {
        const taken =
          byId.has(event.id) ||
          all[event.globalPosition - 1] !== undefined ||
          (streams.get(event.streamId)?.length ?? 0) >= event.streamVersion;
        if (taken) throw new DuplicateEventError(event.streamId, [event.id]);
        byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
      }
      for (const [streamId, imported] of byStream) {
        const stream = [...(streams.get(streamId) ?? []), ...imported].sort(
          (a, b) => a.streamVersion - b.streamVersion,
        );
        streams.set(streamId, stream);
      }
      for (const event of copies) {
        all[event.globalPosition - 1] = event;
        byId.set(event.id, event);
      }
    },

    exclusive: true,

    async loadCheckpoint(name) {
      assertOpen();
      return checkpoints.get(name);
    },

    async saveCheckpoint(name, position) {
      assertOpen();
      checkpoints.set(name, position);
    },

    stats: () => hub.stats(),

    async close() {
      closed = true;
      hub.close();
    },
  };

  function replayed(streamId: string, events: StoredEvent[]): AppendResult {
    if (events.length === 0) throw new DuplicateEventError(streamId, []);
    return {
      streamId,
      nextExpectedVersion: Math.max(...events.map((event) => event.streamVersion)),
      positions: events.map((event) => event.globalPosition),
      alreadyAppended: true,
      events: [],
    };
  }
}
