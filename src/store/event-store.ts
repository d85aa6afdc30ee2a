import type { NewEvent, StoredEvent } from '../events/index.js';

/**
 * What the stream's current version must be for an append to go ahead:
 * a number (0 = the stream does not exist yet), `any`, `no_stream` or `stream_exists`.
 */
export type ExpectedVersion = number | 'any' | 'no_stream' | 'stream_exists';

export interface AppendOptions {
  expectedVersion?: ExpectedVersion;
}

export interface AppendResult {
  streamId: string;
  /** The stream's version after the append: pass it as the next `expectedVersion`. */
  nextExpectedVersion: number;
  /** One per appended event, in order. */
  positions: number[];
  /** True when every event id was already stored: nothing new was written. */
  alreadyAppended: boolean;
  /** The events written, as a read would return them; none when `alreadyAppended`. */
  events: StoredEvent[];
}

export interface ReadStreamOptions {
  /** First version to read (inclusive). Defaults to the first (forwards) or last (backwards). */
  fromVersion?: number;
  /** Last version to read (inclusive). */
  toVersion?: number;
  direction?: 'forwards' | 'backwards';
  limit?: number;
}

/** Filters of the store-wide reads; every read is ordered by global position. */
export interface GlobalReadOptions {
  /** Exclusive: events with a greater position. Pass the previous page's `next`. */
  after?: number;
  limit?: number;
  types?: readonly string[];
  tenant?: string;
}

export interface EventPage {
  events: StoredEvent[];
  /** Cursor of the next page (`after`), or null when this page was the last one. */
  next: number | null;
}

export interface StreamInfo {
  streamId: string;
  version: number;
  eventCount: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

export interface Snapshot<S = unknown> {
  streamId: string;
  /** The stream version the state includes. */
  version: number;
  state: S;
  savedAt: string;
}

export interface SubscribeOptions {
  /**
   * Exclusive start: a global position, `start` (everything) or `end`: the head when
   * `subscribe` is called, so only what is committed afterwards (`ready` says when the head
   * is known; an append that completes after it is always delivered).
   */
  from?: number | 'start' | 'end';
  types?: readonly string[];
  tenant?: string;
  streamId?: string;
  /** Read batch size during catch-up. */
  batchSize?: number;
  signal?: AbortSignal;
  /**
   * Called when live commits arrived that the filter dropped while nothing is waiting to be
   * handed out: `idleThrough` has moved on without an event to show for it.
   */
  onIdle?: () => void;
}

export interface StreamSubscribeOptions {
  /** Exclusive start: the stream version after which events are delivered (0 = all of them). */
  afterVersion?: number;
  /**
   * The caller knows the stream has no events yet (its id is new and random: nobody else can
   * have written to it), so there is nothing stored to read before following it.
   */
  newStream?: boolean;
  /** Read batch size during catch-up. */
  batchSize?: number;
  signal?: AbortSignal;
}

/**
 * Events in global order, first those already stored after `from`, then live ones, each
 * exactly once. Iterate with `for await`; `close()` (or breaking out of the loop) frees it.
 */
export interface Subscription extends AsyncIterable<StoredEvent> {
  /**
   * Resolves with the start position once it is fixed: at once for a numeric `from` and in
   * exclusive stores, after one read of the head for `end` on a shared store.
   */
  readonly ready: Promise<number>;
  /** Position of the last event handed out (or the start position). */
  readonly position: number;
  /**
   * Following live with nothing left to hand out: the position through which every event
   * matching the filter has been handed out (events the filter dropped count as passed).
   * Undefined while catching up or while events wait to be handed out.
   */
  readonly idleThrough: number | undefined;
  /**
   * Hands out, without waiting, up to `max` further events already received: call it after
   * an event from the iterator to handle what is there as one batch.
   */
  takeReady(max: number): StoredEvent[];
  close(): void;
}

export interface StoreStats {
  /** Subscriptions not yet closed. */
  subscriptions: number;
  /** Subscriptions attached to the live feed (the rest are catching up). */
  liveListeners: number;
}

/**
 * The append-only event store. Every adapter (memory, PGlite, PostgreSQL) passes the same
 * contract suite in `test/contract/event-store.contract.ts`.
 *
 * @example
 * const { nextExpectedVersion } = await store.append('task-1', [{ type: 'task.created', data }], {
 *   expectedVersion: 'no_stream',
 * });
 * for await (const event of store.subscribe({ from: 'start' })) project(event);
 */
export interface EventStore {
  /**
   * Appends `events` to `streamId` atomically: all are stored with gap-free stream versions
   * and increasing global positions, or none is.
   * - Throws `ConcurrencyError` (expected and actual version) when `expectedVersion` does not hold.
   * - Idempotent on event id: when every id is already stored in this stream, nothing is
   *   written and the original positions come back (`alreadyAppended`); ids that exist only in
   *   part, or in another stream, throw `DuplicateEventError`.
   * - Throws `ValidationError` (naming the field) for an invalid envelope or payload.
   * - Throws `StoreUnavailableError` when the database cannot be reached.
   */
  append(
    streamId: string,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;

  /** Events of one stream between two versions; an unknown stream reads as empty. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;

  /**
   * Committed events of every stream in global order. A page read at the live head may miss an
   * event that commits late below it; follow the store with `subscribe`, which never does.
   */
  readAll(options?: GlobalReadOptions): Promise<EventPage>;
  readByCorrelation(correlationId: string, options?: GlobalReadOptions): Promise<EventPage>;
  /** Events whose timestamp is in [from, to), in global order. */
  readByTime(range: { from: Date; to: Date }, options?: GlobalReadOptions): Promise<EventPage>;

  /**
   * Position of the newest committed event (0 for an empty store): a reader that has seen
   * this position has seen every write that completed before the call.
   */
  headPosition(): Promise<number>;

  /** Version, count and first/last timestamps of a stream; undefined if it does not exist. */
  streamInfo(streamId: string): Promise<StreamInfo | undefined>;

  /** Keeps the latest snapshot per stream; an older version never replaces a newer one. */
  saveSnapshot<S>(streamId: string, version: number, state: S): Promise<void>;
  loadSnapshot<S>(streamId: string): Promise<Snapshot<S> | undefined>;

  /** Catch-up then live, in global order, never skipping or repeating an event. */
  subscribe(options?: SubscribeOptions): Subscription;

  /**
   * One stream's events after `afterVersion`, in stream order, each once: the stored ones,
   * then each new one as soon as it is committed. Unlike `subscribe`, which holds every event
   * until all that may commit before it has, this never waits on other streams' open
   * transactions: what a client following one task needs. `ready` resolves at once.
   */
  subscribeToStream(streamId: string, options?: StreamSubscribeOptions): Subscription;

  /**
   * True when every append to this store passes through this instance (memory; PGlite, whose
   * data folder one process holds): what this process wrote last is then the whole truth, and
   * a reader that has seen its own appends needs no round trip to be current.
   */
  readonly exclusive: boolean;

  /**
   * Removes a stream for good: its events, its version and its snapshot (retention, after the
   * events were archived). Other streams and every position stay as they were. Returns how
   * many events went (0 for an unknown stream).
   */
  deleteStream(streamId: string): Promise<number>;

  /**
   * Puts events back exactly as they were stored (id, stream, stream version, global
   * position, envelope, payload as stored): a restored archive. Atomic. Throws
   * `DuplicateEventError` when an id, a position or a stream version is taken. Subscriptions
   * already past those positions do not see them again.
   */
  importEvents(events: readonly StoredEvent[]): Promise<void>;

  /** Durable position of a named subscriber (see `startDurableSubscriber`). */
  loadCheckpoint(name: string): Promise<number | undefined>;
  saveCheckpoint(name: string, position: number): Promise<void>;

  /** Open subscriptions, to watch for leaks and to export as metrics. */
  stats(): StoreStats;

  /**
   * Waits for in-flight appends, ends every subscription and releases the connection.
   * Calls after close throw `StoreClosedError`.
   */
  close(): Promise<void>;
}
