import type { EventStore } from '../store/index.js';

/** Recorded by retention when it deletes a stream's events on purpose. */
export const STREAM_ARCHIVED = 'retention.stream_archived';

/**
 * Streams whose events retention deleted on purpose (`retention.stream_archived`, data
 * `{ streamId, tenant? }`), each with the tenants named for it (none named: any tenant).
 */
export async function archivedStreams(store: EventStore): Promise<ArchivedStreams> {
  const archived = new Map<string, Set<string> | 'any'>();
  for (let after = 0; ; ) {
    const page = await store.readAll({ after, types: [STREAM_ARCHIVED], limit: 1_000 });
    for (const event of page.events) {
      const data = event.data as { streamId?: unknown; tenant?: unknown } | null;
      if (typeof data?.streamId !== 'string') continue;
      const tenant = typeof data.tenant === 'string' ? data.tenant : undefined;
      const known = archived.get(data.streamId);
      if (tenant === undefined || known === 'any') archived.set(data.streamId, 'any');
      else archived.set(data.streamId, (known ?? new Set()).add(tenant));
    }
    if (page.next === null) break;
    after = page.next;
  }
  return {
    has(streamId, tenant) {
      const known = archived.get(streamId);
      return known === 'any' || (known?.has(tenant) ?? false);
    },
    get size() {
      return archived.size;
    },
  };
}

export interface ArchivedStreams {
  has(streamId: string, tenant: string): boolean;
  readonly size: number;
}
