import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuditChainSealer } from '../../src/audit-chain/index.js';
import { createPgliteClient, createPgliteEventStore } from '../../src/store/index.js';
import { childEnv, type JsonBody } from '../support/gateway.js';
import { uniqueSchema } from '../support/services.js';

const run = promisify(execFile);

describe('audit verify on the command line, against the database itself', () => {
  const schema = uniqueSchema('cli_chain');
  let folder: string;
  let edited: { id: string; globalPosition: number };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'chain-cli-'));
    const db = await PGlite.create(folder);
    try {
      const store = await createPgliteEventStore({ pglite: db, schema });
      const client = createPgliteClient(db, { owned: false });
      const sealer = await startAuditChainSealer({ store, client, schema });
      await store.append('ledger-1', [
        { type: 'ledger.entry', data: { amount: 1 }, metadata: { tenant: 'acme' } },
        { type: 'ledger.entry', data: { amount: 2 }, metadata: { tenant: 'acme' } },
      ]);
      await store.append('ledger-2', [{ type: 'ledger.entry', data: { amount: 3 } }]);
      expect(await sealer.waitFor(await store.headPosition(), 20_000)).toBe(true);
      await sealer.stop();
      edited = (await store.readStream('ledger-1'))[1]!;
      await store.close();
    } finally {
      await db.close();
    }
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const verify = (...args: string[]) =>
    run('node', ['--import', 'tsx', 'src/cli/main.ts', 'audit', 'verify', '--json', ...args], {
      env: childEnv({ LOG_LEVEL: 'silent', DATA_DIR: folder, DATABASE_SCHEMA: schema }),
    }).then(
      ({ stdout }) => ({ code: 0, result: JSON.parse(stdout) as JsonBody }),
      (error: { code: number; stdout: string }) => ({
        code: error.code,
        result: JSON.parse(error.stdout) as JsonBody,
      }),
    );

  it('passes an untouched store (exit 0)', async () => {
    expect(await verify()).toMatchObject({ code: 0, result: { ok: true, verified: 3 } });
  });

  it('names the row edited behind its back (exit 1)', async () => {
    const db = await PGlite.create(folder);
    try {
      await db.query(
        `update ${schema}.es_events set data = '{"amount": 200}' where event_id = $1`,
        [edited.id],
      );
    } finally {
      await db.close();
    }
    const broken = await verify('--tenant', 'acme');
    expect(broken.code).toBe(1);
    expect(broken.result.broken).toMatchObject({
      reason: 'hash_mismatch',
      eventId: edited.id,
      position: edited.globalPosition,
      streamId: 'ledger-1',
      tenant: 'acme',
    });
  });
});
