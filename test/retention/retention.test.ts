import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../src/events/index.js';
import { createGatewayRegistry } from '../../src/gateway-registry.js';
import {
  parseRetentionPolicies,
  RETENTION_STREAM,
  restoreArchive,
  runRetention,
  type StreamArchived,
} from '../../src/retention/index.js';
import { createPgliteEventStore, type EventStore } from '../../src/store/index.js';
import { uniqueSchema } from '../support/services.js';

const NOW = new Date('2026-12-01T00:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000).toISOString();

const event = (tenant: string, at: string, type = 'task.status_changed'): NewEvent => ({
  type,
  timestamp: at,
  metadata: tenant ? { tenant } : {},
  data:
    type === 'task.submitted'
      ? {
          taskId: 'x',
          contextId: 'c',
          agent: 'echo',
          message: { messageId: 'm', role: 'ROLE_USER', parts: [{ text: 'hi' }] },
        }
      : { status: { state: 'TASK_STATE_WORKING', timestamp: at } },
});

describe('retention: archive old streams, record it, delete them; restore an archive', () => {
  let db: PGlite;
  let folder: string;
  let store: EventStore;
  beforeAll(async () => {
    db = await PGlite.create();
    folder = await mkdtemp(join(tmpdir(), 'retention-'));
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('archives what the policies choose, records each archive and restores it exactly', async () => {
    store = await createPgliteEventStore({
      pglite: db,
      schema: uniqueSchema('retention'),
      registry: createGatewayRegistry(),
    });
    // acme's old task, acme's recent task, globex's old task.
    await store.append('task-old', [
      event('acme', daysAgo(120), 'task.submitted'),
      event('acme', daysAgo(100)),
    ]);
    await store.append('task-recent', [
      event('acme', daysAgo(120), 'task.submitted'),
      event('acme', daysAgo(10)),
    ]);
    await store.append('task-globex', [event('globex', daysAgo(200), 'task.submitted')]);
    const policies = parseRetentionPolicies(
      JSON.stringify([{ streams: 'task-*', tenant: 'acme', olderThanDays: 90 }]),
    );
    const archiveDir = join(folder, 'archive');
    const original = await store.readStream('task-old');

    const dry = await runRetention({ store, policies, archiveDir, now: NOW, dryRun: true });
    expect(dry.streams.map((stream) => stream.streamId)).toEqual(['task-old']);
    expect(await store.readStream('task-old')).toHaveLength(2);
    await expect(readdir(archiveDir)).rejects.toThrow();

    const done = await runRetention({ store, policies, archiveDir, now: NOW });
    expect(done.streams.map((stream) => stream.streamId)).toEqual(['task-old']);
    expect(await store.readStream('task-old')).toEqual([]);
    expect(await store.readStream('task-recent')).toHaveLength(2);
    expect(await store.readStream('task-globex')).toHaveLength(1);

    // The archive: gzip NDJSON, a header line, then each stored event as it was.
    const [file] = await readdir(archiveDir);
    const path = join(archiveDir, file!);
    const bytes = await readFile(path);
    const lines = gunzipSync(bytes)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({
      kind: 'a2a-gateway.retention-archive',
      streamId: 'task-old',
      tenant: 'acme',
      events: 2,
      policy: policies[0],
    });
    expect(lines.slice(1)).toEqual(original);

    // The record the hash-chain verifier reads.
    const [record] = await store.readStream(RETENTION_STREAM);
    expect(record!.type).toBe('retention.stream_archived');
    expect(record!.data).toEqual({
      streamId: 'task-old',
      tenant: 'acme',
      events: 2,
      fromPosition: original[0]!.globalPosition,
      toPosition: original[1]!.globalPosition,
      archive: path,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    } satisfies StreamArchived);

    // A second pass finds nothing more to do.
    expect((await runRetention({ store, policies, archiveDir, now: NOW })).streams).toEqual([]);

    expect(await restoreArchive(store, path)).toEqual({ streamId: 'task-old', events: 2 });
    expect(await store.readStream('task-old')).toEqual(original);
    // Restored twice: the events are there already.
    await expect(restoreArchive(store, path)).rejects.toMatchObject({ code: 'DUPLICATE_EVENT' });
  });

  it('refuses policies that are not valid, naming the field', () => {
    expect(() => parseRetentionPolicies('nope')).toThrow(/not JSON/);
    expect(() => parseRetentionPolicies('[{"streams":"task-*"}]')).toThrow(/olderThanDays/);
  });
});
