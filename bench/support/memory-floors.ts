/**
 * What a process costs before the gateway's own code: a bare node process, and a bare PGlite
 * (the embedded default's database) on a fresh folder, then reopened on that folder as a
 * restart would. Each runs alone, under plain node as the gateway does, so the gateway's RSS
 * minus these is its own share.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssMb, spawnPinned, stop } from './pinned-process.js';

const BARE_NODE = `console.log('ready'); setInterval(() => {}, 60_000);`;
// One query, so the database is up and answering, as it is under an idle gateway.
const BARE_PGLITE = `
  import { PGlite } from '@electric-sql/pglite';
  const db = await PGlite.create(process.env.BARE_DATA_DIR);
  await db.query('select 1');
  console.log('ready');
  setInterval(() => {}, 60_000);`;

const SETTLE_MS = 1_000;
const START_TIMEOUT_MS = 60_000;

export interface MemoryFloors {
  bareNodeRssMb: number;
  /** PGlite creating its folder (initdb), as the gateway's first start does. */
  barePgliteRssMb: number;
  /** PGlite opening that folder again, as a restart does. */
  barePgliteReopenedRssMb: number;
}

/** RSS in MB of `code` run by plain node on core 0, once it said ready and settled. */
async function bareRssMb(code: string, dataDir = ''): Promise<number> {
  const env = { ...process.env, BARE_DATA_DIR: dataDir };
  const child = spawnPinned(0, ['--input-type=module', '-e', code], env, false);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('did not start')), START_TIMEOUT_MS);
      child.process.stdout?.on('data', (chunk: Buffer) => {
        if (!chunk.toString('utf8').includes('ready')) return;
        clearTimeout(timer);
        resolve();
      });
      void child.exited.then((how) => reject(new Error(how)));
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    return await rssMb(child.process.pid!);
  } catch (error) {
    throw new Error(`memory floor: the bare process failed: ${(error as Error).message}`);
  } finally {
    await stop(child);
  }
}

export async function memoryFloors(): Promise<MemoryFloors> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-bare-'));
  try {
    return {
      bareNodeRssMb: await bareRssMb(BARE_NODE),
      barePgliteRssMb: await bareRssMb(BARE_PGLITE, dataDir),
      barePgliteReopenedRssMb: await bareRssMb(BARE_PGLITE, dataDir),
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
