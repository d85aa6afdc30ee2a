import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Creates the embedded database in `dataDir` when it holds none yet, in a short-lived child
 * process: PGlite's initdb leaves some 450 MiB behind in the process that ran it (measured:
 * a process that created a folder idles at ~840 MiB RSS, one that opened an existing folder at
 * ~350 MiB), and a child takes it away when it exits. The caller holds the folder's lock.
 */
export async function initPgliteFolder(dataDir: string): Promise<boolean> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return false;
  const pglite = import.meta.resolve('@electric-sql/pglite');
  const script = `const { PGlite } = await import(${JSON.stringify(pglite)});
    const db = await PGlite.create(${JSON.stringify(dataDir)});
    await db.close();`;
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '--eval', script],
      { timeout: 120_000 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        reject(
          new Error(
            `could not create the embedded database in ${dataDir}: ${stderr || error.message}`,
          ),
        );
      },
    );
  });
  return true;
}
