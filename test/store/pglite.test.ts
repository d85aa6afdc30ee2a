import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteEventStore } from '../../src/store/index.js';
import { take } from '../support/collect.js';

describe('PGlite adapter', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'es-pglite-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('keeps everything in its data folder across a close and reopen', async () => {
    const first = await createPgliteEventStore({ dataDir: folder });
    const appended = await first.append('durable', [
      { type: 'test.kept', data: { n: 1 } },
      { type: 'test.kept', data: { n: 2 } },
    ]);
    await first.saveCheckpoint('reader', appended.positions[1]!);
    await first.close();

    const second = await createPgliteEventStore({ dataDir: folder });
    try {
      expect((await second.readStream('durable')).map((event) => event.data)).toEqual([
        { n: 1 },
        { n: 2 },
      ]);
      expect(await second.loadCheckpoint('reader')).toBe(appended.positions[1]);
      // A follower resuming from its checkpoint sees only what came after it.
      const subscription = second.subscribe({ from: appended.positions[1] });
      const reading = take(subscription, 1);
      const later = await second.append('durable', [{ type: 'test.kept', data: { n: 3 } }], {
        expectedVersion: 2,
      });
      const [event] = await reading;
      expect(event?.globalPosition).toBe(later.positions[0]);
      expect(later.positions[0]).toBeGreaterThan(appended.positions[1]!);
    } finally {
      await second.close();
    }
  });
});
