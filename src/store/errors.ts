import type { ExpectedVersion } from './event-store.js';

/** The stream's version is not what the append expected. Reload, decide again, retry. */
export class ConcurrencyError extends Error {
  readonly code = 'CONCURRENCY_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: ExpectedVersion,
    /** The stream's current version; 0 when the stream does not exist. */
    readonly actualVersion: number,
  ) {
    super(
      `stream ${streamId}: expected version ${expectedVersion}, but the stream is at ${actualVersion}`,
    );
    this.name = 'ConcurrencyError';
  }
}

/** Some ids of a batch are stored already (or in another stream): the batch is ambiguous. */
export class DuplicateEventError extends Error {
  readonly code = 'DUPLICATE_EVENT';
  constructor(
    readonly streamId: string,
    readonly eventIds: readonly string[],
  ) {
    super(`stream ${streamId}: some of the event ids are already stored elsewhere or in part`);
    this.name = 'DuplicateEventError';
  }
}

/** The database could not be reached or dropped the connection. Safe to retry. */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export class StoreClosedError extends Error {
  readonly code = 'STORE_CLOSED';
  constructor() {
    super('the event store is closed');
    this.name = 'StoreClosedError';
  }
}

/** The database refused or failed an operation for a reason other than reachability. */
export class StoreError extends Error {
  readonly code = 'STORE_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}
