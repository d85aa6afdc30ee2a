import type { EventRegistry, StoredEvent } from '../events/index.js';
import type { EventPage } from './event-store.js';

export const DEFAULT_READ_LIMIT = 100;
export const MAX_READ_LIMIT = 10_000;

export function readLimit(limit: number | undefined, fallback = DEFAULT_READ_LIMIT): number {
  if (limit === undefined) return Math.min(fallback, MAX_READ_LIMIT);
  if (!Number.isInteger(limit) || limit < 1) return 1;
  return Math.min(limit, MAX_READ_LIMIT);
}

/** A full page may have a successor; a short one is the last. */
export function pageOf(events: StoredEvent[], limit: number): EventPage {
  const last = events[events.length - 1];
  return { events, next: events.length === limit && last ? last.globalPosition : null };
}

/** Reads hand out the latest shape of every event type (ARCHITECTURE.md, upcasters). */
export function upcastWith(
  registry: EventRegistry | undefined,
): (event: StoredEvent) => StoredEvent {
  if (!registry) return (event) => event;
  return (event) => {
    const latest = registry.latestVersion(event.type);
    if (latest === undefined || latest <= event.schemaVersion) return event;
    const { version, data } = registry.upcast(event.type, event.schemaVersion, event.data);
    return { ...event, schemaVersion: version, data };
  };
}
