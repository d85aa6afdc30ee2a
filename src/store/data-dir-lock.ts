import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';

/** The lock file, inside the data folder (PGlite ignores files it does not know). */
export const LOCK_FILE = 'a2a-gateway.lock';

/** Who holds a data folder: what the lock file says. */
export interface LockOwner {
  pid: number;
  host: string;
  /** What the process is: `gateway`, or the CLI command. */
  role: string;
  /** Where that gateway answers, once it listens. */
  url?: string;
  startedAt: string;
  /** Tells this lock from an earlier one of a process that had the same PID. */
  nonce: string;
}

/** Another live process holds the data folder. */
export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';
  constructor(
    readonly dataDir: string,
    /** Undefined when the lock file cannot be read as one of ours. */
    readonly owner: LockOwner | undefined,
  ) {
    super(
      owner
        ? `the data folder ${dataDir} is in use by PID ${owner.pid} on ${owner.host} ` +
            `(${owner.role}, started ${owner.startedAt}). An embedded PGlite database belongs ` +
            `to one process at a time: use that gateway${owner.url ? ` at ${owner.url}` : ''}, ` +
            'stop it first, or give this process another DATA_DIR (or share a PostgreSQL ' +
            'through DATABASE_URL).'
        : `the data folder ${dataDir} is locked by ${join(dataDir, LOCK_FILE)}, which does not ` +
            'say by whom. If no gateway or CLI uses this folder, delete that file.',
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  readonly owner: LockOwner;
  /** Records where this process answers (known once it listens), for the next one to say. */
  update(fields: { url: string }): Promise<void>;
  /** Removes the lock file, if it is still ours. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** A lock from another host is abandoned when its owner stopped touching it this long ago. */
  staleAfterMs?: number;
}

// Nonces of the locks this process holds or is placing: a lock file with our own PID is live
// only if its nonce is here (a container restarted as PID 1 again finds its previous
// incarnation's lock, with our PID and another nonce).
const liveHere = new Set<string>();

/**
 * Takes the data folder for this process, or throws DataDirLockedError naming the holder.
 *
 * The lock file appears atomically and complete (written aside, then hard-linked into place,
 * which fails if it exists). A lock whose process is gone is taken over: on this host, the
 * PID no longer exists; from another host (a container recreated under a new name), the file
 * was not touched for `staleAfterMs` (holders touch it at a quarter of that). A takeover
 * happens under a second lock file, and only if the stale lock is still byte for byte the
 * one judged stale, so two processes racing for the same stale lock cannot both win.
 */
export async function lockDataDir(
  dataDir: string,
  who: { role: string; url?: string },
  options: LockOptions = {},
): Promise<DataDirLock> {
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const path = join(dataDir, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    role: who.role,
    ...(who.url ? { url: who.url } : {}),
    startedAt: new Date().toISOString(),
    nonce: randomUUID(),
  };
  liveHere.add(owner.nonce);
  try {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      if (await createExclusive(path, owner)) return hold(path, owner, staleAfterMs);
      const current = await readLock(path);
      if (current === undefined) continue; // released meanwhile: try again
      if (!(await isStale(path, current.owner, staleAfterMs)))
        throw new DataDirLockedError(dataDir, current.owner);
      if (await takeOver(path, current.raw, owner, staleAfterMs))
        return hold(path, owner, staleAfterMs);
      // Another process is taking over (or just did): look again shortly.
      await new Promise((resolve) => setTimeout(resolve, 10 * (attempt + 1)));
    }
    throw new Error(`could not lock ${dataDir}: its lock file ${path} keeps changing`);
  } catch (error) {
    liveHere.delete(owner.nonce);
    throw error;
  }
}

function hold(path: string, owner: LockOwner, staleAfterMs: number): DataDirLock {
  // Touched so that a process on another host can tell a live lock from an abandoned one.
  const touch = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, staleAfterMs / 4);
  touch.unref();
  // A forced exit (a second Ctrl-C) skips release(): the folder is free once we are gone.
  const releaseOnExit = () => {
    try {
      if (parse(readFileSync(path, 'utf8'))?.nonce === owner.nonce) unlinkSync(path);
    } catch {}
  };
  process.once('exit', releaseOnExit);
  let released = false;
  return {
    owner,
    async update(fields) {
      if (released) return;
      Object.assign(owner, fields);
      await writeAside(path, owner, (aside) => rename(aside, path));
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(touch);
      process.off('exit', releaseOnExit);
      if ((await readLock(path))?.owner?.nonce === owner.nonce) await unlink(path).catch(() => {});
      liveHere.delete(owner.nonce);
    },
  };
}

/** Creates `path` holding `owner`, complete, unless it exists. */
async function createExclusive(path: string, owner: LockOwner): Promise<boolean> {
  return writeAside(path, owner, (aside) =>
    link(aside, path).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      },
    ),
  );
}

/** Writes `owner` to a file beside `path`, hands it to `place`, removes what is left. */
async function writeAside<T>(
  path: string,
  owner: LockOwner,
  place: (aside: string) => Promise<T>,
): Promise<T> {
  const aside = `${path}.${process.pid}.${randomUUID()}`;
  await writeFile(aside, `${JSON.stringify(owner)}\n`, { flag: 'wx' });
  try {
    return await place(aside);
  } finally {
    await unlink(aside).catch(() => {});
  }
}

async function takeOver(
  path: string,
  staleRaw: string,
  owner: LockOwner,
  staleAfterMs: number,
): Promise<boolean> {
  const guard = `${path}.takeover`;
  if (!(await createExclusive(guard, owner))) {
    // A process that died inside its takeover (milliseconds) leaves the guard behind.
    const other = await readLock(guard);
    if (other?.owner && (await isStale(guard, other.owner, staleAfterMs))) {
      if ((await readLock(guard))?.raw === other.raw) await unlink(guard).catch(() => {});
    }
    return false;
  }
  try {
    if ((await readLock(path))?.raw !== staleRaw) return false;
    await writeAside(path, owner, (aside) => rename(aside, path));
    return true;
  } finally {
    await unlink(guard).catch(() => {});
  }
}

async function isStale(path: string, owner: LockOwner | undefined, staleAfterMs: number) {
  if (!owner) return false; // not ours to judge: a person decides
  if (owner.host !== hostname()) {
    const touched = await stat(path).then(
      (info) => info.mtimeMs,
      () => 0,
    );
    return Date.now() - touched > staleAfterMs;
  }
  // Written before this machine last booted: whatever runs under that PID now is not it.
  if (Date.parse(owner.startedAt) < Date.now() - uptime() * 1_000) return true;
  if (owner.pid === process.pid) return !liveHere.has(owner.nonce);
  return !isAlive(owner.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0 only asks whether the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

async function readLock(
  path: string,
): Promise<{ raw: string; owner: LockOwner | undefined } | undefined> {
  try {
    const raw = await readFile(path, 'utf8');
    return { raw, owner: parse(raw) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parse(raw: string): LockOwner | undefined {
  try {
    const value = JSON.parse(raw) as Partial<LockOwner>;
    return typeof value.pid === 'number' && typeof value.host === 'string' && value.nonce
      ? (value as LockOwner)
      : undefined;
  } catch {
    return undefined;
  }
}
