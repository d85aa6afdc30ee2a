import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

/** A nested vitest run over `files`, as a developer would start it, without any service URL. */
async function runVitest(args: string[], env: Record<string, string> = {}) {
  // The outer run's own VITEST_* variables would make the inner one think it is a worker.
  const inherited = Object.entries(process.env).filter(
    ([key]) => key !== 'DATABASE_URL' && key !== 'CI' && !key.startsWith('VITEST'),
  );
  const result = await promisify(execFile)(process.execPath, [VITEST, 'run', ...args], {
    cwd: ROOT,
    env: { ...Object.fromEntries(inherited), NO_COLOR: '1', ...env },
  }).catch((error: { code: number; stdout: string; stderr: string }) => error);
  return {
    code: 'code' in result ? result.code : 0,
    lines: `${result.stdout}\n${result.stderr}`.split('\n'),
  };
}

const REASON =
  'DATABASE_URL is not set: start the service and export DATABASE_URL to run these tests';

describe('suites skipped for a missing service', () => {
  it('print one line each, naming the suite and the variable, without DATABASE_URL', async () => {
    // -t keeps the PGlite half of task-view from starting a database: only the skip matters.
    const { code, lines } = await runVitest([
      'test/store/postgres.test.ts',
      'test/sagas/claims.test.ts',
      'test/tasks/task-view.test.ts',
      '-t',
      'PostgreSQL',
    ]);
    expect(code).toBe(0);
    expect(lines.filter((line) => line.includes('DATABASE_URL')).sort()).toEqual([
      `skipped test/sagas/claims.test.ts > two gateway instances on one PostgreSQL store: ${REASON}`,
      `skipped test/store/postgres.test.ts > PostgreSQL adapter: ${REASON}`,
      `skipped test/tasks/task-view.test.ts > task view projection on PostgreSQL: ${REASON}`,
    ]);
  }, 60_000);

  it('are an error on CI, not a skip', async () => {
    const { code, lines } = await runVitest(['test/store/postgres.test.ts'], { CI: 'true' });
    expect(code).not.toBe(0);
    expect(lines.join('\n')).toContain(`CI must not skip: ${REASON}`);
    expect(lines.filter((line) => line.startsWith('skipped '))).toEqual([]);
  }, 60_000);
});
