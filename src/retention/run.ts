import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { StoredEvent } from '../events/index.js';
import type { EventStore } from '../store/index.js';
import { nameBasedUuid } from '../tasks/index.js';
import { readArchive, writeArchive } from './archive.js';
import { RETENTION_EVENT_TYPES, RETENTION_STREAM, type StreamArchived } from './events.js';
import { matchesPolicy, type RetentionPolicy, type StreamSummary } from './policies.js';

interface StreamSeen extends StreamSummary {
  events: number;
  fromPosition: number;
  toPosition: number;
}

export interface RetentionOutcome {
  /** Streams archived (or, in a dry run, that would be), with the policy that chose each. */
  streams: (StreamArchived & { policy: RetentionPolicy })[];
  dryRun: boolean;
}

/**
 * One retention pass. The store must hand out events as stored (with PII encryption, the
 * store under the encrypting layer), so archives hold what the database held. For each
 * stream a policy chooses: the archive is written (and renamed into place), then the
 * `retention.stream_archived` record is appended (its id derived from the stream and its
 * last position, so a pass cut short and run again records it once), then the stream is
 * deleted. A crash between the steps leaves the stream in place: the next pass redoes them.
 */
export async function runRetention(options: {
  store: EventStore;
  policies: readonly RetentionPolicy[];
  archiveDir: string;
  now?: Date;
  dryRun?: boolean;
}): Promise<RetentionOutcome> {
  const { store, policies } = options;
  const now = options.now ?? new Date();
  const dryRun = options.dryRun ?? false;
  const outcome: RetentionOutcome = { streams: [], dryRun };
  if (policies.length === 0) return outcome;
  const archiveDir = resolve(options.archiveDir);
  if (!dryRun) await mkdir(archiveDir, { recursive: true });

  for (const stream of await summarise(store)) {
    const policy = policies.find((candidate) => matchesPolicy(candidate, stream, now));
    if (!policy) continue;
    const archive = join(archiveDir, `${fileName(stream.streamId)}.${stream.toPosition}.ndjson.gz`);
    const record: StreamArchived = {
      streamId: stream.streamId,
      ...(stream.tenant ? { tenant: stream.tenant } : {}),
      events: stream.events,
      fromPosition: stream.fromPosition,
      toPosition: stream.toPosition,
      archive,
      sha256: '',
    };
    if (dryRun) {
      outcome.streams.push({ ...record, policy });
      continue;
    }
    const events = await store.readStream(stream.streamId);
    record.events = events.length;
    record.fromPosition = events[0]?.globalPosition ?? 0;
    record.toPosition = events.at(-1)?.globalPosition ?? 0;
    record.sha256 = await writeArchive(
      archive,
      {
        kind: 'a2a-gateway.retention-archive',
        version: 1,
        streamId: stream.streamId,
        ...(stream.tenant ? { tenant: stream.tenant } : {}),
        policy,
        events: events.length,
        fromPosition: record.fromPosition,
        toPosition: record.toPosition,
        archivedAt: now.toISOString(),
      },
      events,
    );
    await store.append(RETENTION_STREAM, [
      {
        id: nameBasedUuid(`retention\n${stream.streamId}\n${record.toPosition}`),
        type: RETENTION_EVENT_TYPES.streamArchived,
        data: record,
        metadata: { source: 'retention', ...(stream.tenant ? { tenant: stream.tenant } : {}) },
      },
    ]);
    await store.deleteStream(stream.streamId);
    outcome.streams.push({ ...record, policy });
  }
  return outcome;
}

/** Puts an archive's events back with their ids, versions and positions. */
export async function restoreArchive(
  store: EventStore,
  path: string,
): Promise<{ streamId: string; events: number }> {
  const { header, events } = await readArchive(path);
  await store.importEvents(events);
  return { streamId: header.streamId, events: events.length };
}

/** Every stream but the retention record itself, from one pass over the store. */
async function summarise(store: EventStore): Promise<StreamSeen[]> {
  const streams = new Map<string, StreamSeen>();
  const see = (event: StoredEvent) => {
    const seen = streams.get(event.streamId);
    if (seen) {
      seen.events += 1;
      seen.toPosition = event.globalPosition;
      seen.lastTimestamp = event.timestamp;
      return;
    }
    streams.set(event.streamId, {
      streamId: event.streamId,
      tenant: event.metadata.tenant ?? '',
      firstType: event.type,
      lastTimestamp: event.timestamp,
      events: 1,
      fromPosition: event.globalPosition,
      toPosition: event.globalPosition,
    });
  };
  for (let after = 0; ; ) {
    const page = await store.readAll({ after, limit: 10_000 });
    for (const event of page.events) see(event);
    if (page.next === null) break;
    after = page.next;
  }
  streams.delete(RETENTION_STREAM);
  return [...streams.values()];
}

/** A stream id as a file name: anything but letters, digits, `.`, `_` and `-` escaped. */
function fileName(streamId: string): string {
  return streamId.replace(/[^A-Za-z0-9._-]/g, (char) => `%${char.charCodeAt(0).toString(16)}`);
}
