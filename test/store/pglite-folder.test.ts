import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { initPgliteFolder } from '../../src/store/index.js';

describe('creating the embedded database folder in a child process', () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('creates a database this process can open, once', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'pglite-folder-'));
    folders.push(folder);
    expect(await initPgliteFolder(folder)).toBe(true);
    expect(existsSync(join(folder, 'PG_VERSION'))).toBe(true);
    expect(await initPgliteFolder(folder)).toBe(false);
    const db = await PGlite.create(folder);
    expect((await db.query<{ ok: number }>('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    await db.close();
  }, 60_000);

  it('says which folder it could not create, and why', async () => {
    const error = await initPgliteFolder('/proc/no-such-place/data').catch((caught) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('/proc/no-such-place/data');
  }, 60_000);
});
