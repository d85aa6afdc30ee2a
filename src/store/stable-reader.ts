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
}

export function matchesFilter(event: StoredEvent, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.streamId !== undefined && event.streamId !== filter.streamId) return false;
  if (filter.tenant !== undefined && event.metadata.tenant !== filter.tenant) return false;
  if (filter.types && filter.types.length > 0 && !filter.types.includes(event.type)) return false;
  return true;
}
