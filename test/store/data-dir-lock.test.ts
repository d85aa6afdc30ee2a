import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DataDirLock,
  DataDirLockedError,
  LOCK_FILE,
  type LockOwner,
  lockDataDir,
} from '../../src/store/index.js';
import { eventually } from '../support/collect.js';
import { REPO_ROOT } from '../support/process.js';

function aLockOwner(fields: Partial<LockOwner> = {}): LockOwner {
  return {
    pid: process.pid,
    host: hostname(),
    role: 'gateway',
    startedAt: new Date().toISOString(),
    nonce: 'another-nonce',
    ...fields,
  };
}

/** The PID of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('data folder lock', () => {
  let folder: string;
  let path: string;
  const locks: DataDirLock[] = [];
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'lock-'));
    path = join(folder, LOCK_FILE);
  });
  afterEach(async () => {
    for (const lock of locks.splice(0)) await lock.release();
    await rm(folder, { recursive: true, force: true });
  });

  const lock = async (role = 'gateway') => {
    const taken = await lockDataDir(folder, { role });
    locks.push(taken);
    return taken;
  };
  const refusal = (role = 'cli'): Promise<DataDirLockedError> =>
    lockDataDir(folder, { role }).then(
      () => {
        throw new Error('a second process was given the folder');
      },
      (error: unknown) => error as DataDirLockedError,
    );
  const onDisk = async () => JSON.parse(await readFile(path, 'utf8')) as LockOwner;

  it('writes who holds the folder, records its URL, and removes the file on release', async () => {
    const held = await lock();
    expect(await onDisk()).toMatchObject({ pid: process.pid, host: hostname(), role: 'gateway' });
    await held.update({ url: 'http://127.0.0.1:8080' });
    expect((await onDisk()).url).toBe('http://127.0.0.1:8080');
    await held.release();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a second holder, naming the folder, the PID and the URL', async () => {
    const held = await lock();
    await held.update({ url: 'http://127.0.0.1:8080' });
    const error = await refusal();
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect(error.message).toContain(`the data folder ${folder} is in use by PID ${process.pid}`);
    expect(error.message).toContain('http://127.0.0.1:8080');
    expect((await onDisk()).nonce).toBe(held.owner.nonce);
  });

  it('refuses a lock held by another live process of this host', async () => {
    await writeFile(path, JSON.stringify(aLockOwner({ pid: process.ppid })));
    expect((await refusal()).owner?.pid).toBe(process.ppid);
  });

  it('takes over a lock whose process is gone', async () => {
    await writeFile(path, JSON.stringify(aLockOwner({ pid: await deadPid() })));
    const held = await lock();
    expect((await onDisk()).nonce).toBe(held.owner.nonce);
  });

  it('takes over a lock with its own PID from an earlier run (a restarted container)', async () => {
    await writeFile(path, JSON.stringify(aLockOwner()));
    const held = await lock();
    expect((await onDisk()).nonce).toBe(held.owner.nonce);
  });

  it('trusts another host’s lock while it is touched, and takes it over once abandoned', async () => {
    await writeFile(path, JSON.stringify(aLockOwner({ host: 'elsewhere', pid: 1 })));
    expect((await refusal()).owner?.host).toBe('elsewhere');
    const longAgo = new Date(Date.now() - 120_000);
    await utimes(path, longAgo, longAgo);
    await lock();
  });

  it('refuses a lock file it cannot read, saying to delete it if nothing uses the folder', async () => {
    await writeFile(path, 'not a lock');
    expect((await refusal()).message).toContain('If no gateway or CLI uses this folder');
  });

  it('lets exactly one of several processes racing for a stale lock win', async () => {
    await writeFile(path, JSON.stringify(aLockOwner({ pid: await deadPid() })));
    const goFile = join(folder, 'go');
    const racers: { child: ChildProcess; output: string }[] = [];
    for (let i = 0; i < 4; i += 1) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/support/lock-racer.ts', folder, goFile],
        { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const racer = { child, output: '' };
      child.stdout!.on('data', (chunk) => {
        racer.output += chunk;
      });
      racers.push(racer);
    }
    try {
      await eventually(() => racers.every((racer) => racer.output.includes('ready')), 30_000);
      await writeFile(goFile, '');
      await eventually(() => racers.every((racer) => /won|lost/.test(racer.output)), 10_000);
      const results = racers.map((racer) => racer.output.trim().split('\n').at(-1));
      expect(results.filter((result) => result === 'won')).toHaveLength(1);
      expect(results.filter((result) => result === 'lost DATA_DIR_LOCKED')).toHaveLength(3);
      const winner = racers[results.indexOf('won')]!.child.pid;
      expect((await onDisk()).pid).toBe(winner);
    } finally {
      for (const { child } of racers) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin!.end();
        await exited;
      }
    }
    // The winner released the folder when it exited.
    expect(existsSync(path)).toBe(false);
  }, 60_000);
});
