import type { StoredEvent } from '../events/index.js';

export interface EventFilter {
  types?: readonly string[];
  tenant?: string;
  streamId?: string;
}

/**
 * The one read a subscription needs from an adapter. "Stable" means final: no event can still
 * commit at or below a position this read has passed (see sql/schema.ts for how PostgreSQL
 * gets there), so a cursor that only moves forward never skips a late commit.
 */
export interface StableReader {
  /** Stable events with `after < position <= upTo`, in global order, at most `limit`. */
  readStable(
    after: number,
    limit: number,
    filter?: EventFilter,
    upTo?: number,
  ): Promise<StoredEvent[]>;
  /** A position at or below which every event is stable: a safe "from now on" cursor. */
  stableHead(): Promise<number>;
  /**
   * Like `readStable` without filters, taking the events it already holds from `known`
   * (this process's own commits, by position) and reading only the others: a follower of a
   * shared store then decodes from the database only what other instances wrote.
   */
  readStableKnowing?(
    after: number,
    limit: number,
    known: ReadonlyMap<number, StoredEvent>,
  ): Promise<StoredEvent[]>;
}

export function matchesFilter(event: StoredEvent, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.streamId !== undefined && event.streamId !== filter.streamId) return false;
  if (filter.tenant !== undefined && event.metadata.tenant !== filter.tenant) return false;
  if (filter.types && filter.types.length > 0 && !filter.types.includes(event.type)) return false;
  return true;
}
