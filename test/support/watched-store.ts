import type { EventStore, ReadStreamOptions } from '../../src/store/index.js';

/** What a test saw the code ask of the store. */
export interface WatchedStore {
  store: EventStore;
  /** Every `readStream` call, in order. */
  reads: (ReadStreamOptions & { streamId: string })[];
  /** Streams whose snapshot was asked for, in order. */
  snapshotLoads: string[];
  /** Every `append` call (including those the store refused): stream and event types. */
  appends: { streamId: string; types: string[] }[];
  /** Forgets what was seen so far. */
  reset(): void;
}

/**
 * The store as it is, but recording reads and appends. `exclusive: false` makes a memory
 * store pose as a shared one (PostgreSQL): what another process writes is invisible until read.
 */
export function watchStore(inner: EventStore, options: { exclusive?: boolean } = {}): WatchedStore {
  const watched: WatchedStore = {
    reads: [],
    snapshotLoads: [],
    appends: [],
    reset() {
      watched.reads.length = 0;
      watched.snapshotLoads.length = 0;
      watched.appends.length = 0;
    },
    store: {
      ...inner,
      exclusive: options.exclusive ?? inner.exclusive,
      readStream(streamId, readOptions) {
        watched.reads.push({ streamId, ...readOptions });
        return inner.readStream(streamId, readOptions);
      },
      loadSnapshot(streamId) {
        watched.snapshotLoads.push(streamId);
        return inner.loadSnapshot(streamId);
      },
      append(streamId, events, appendOptions) {
        watched.appends.push({ streamId, types: events.map((event) => event.type) });
        return inner.append(streamId, events, appendOptions);
      },
    },
  };
  return watched;
}
