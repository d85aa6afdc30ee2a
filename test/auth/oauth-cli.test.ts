import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlOAuthClients } from '../../src/auth/index.js';
import { createPgliteClient, lockDataDir } from '../../src/store/index.js';
import { childEnv } from '../support/gateway.js';
import { REPO_ROOT } from '../support/process.js';

const run = promisify(execFile);

describe('OAuth operator commands on an embedded data folder', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'oauth-cli-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  // Each run opens the PGlite folder: seconds, and the first initialises it.
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: childEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }),
    });

  it('adds a client whose secret, printed once, is the one the database knows', async () => {
    const added = await cli(
      'clients',
      'add',
      'billing',
      '--tenant',
      'acme',
      '--scopes',
      'a2a:send,a2a:read',
    );
    const secret = /client secret \(shown this once; store it now\): (\S+)/.exec(added.stdout)?.[1];
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const listed = JSON.parse((await cli('clients', 'list', '--json')).stdout);
    expect(listed).toEqual([
      {
        clientId: 'billing',
        tenant: 'acme',
        scopes: ['a2a:send', 'a2a:read'],
        authMethod: 'client_secret',
        jwks: null,
        createdAt: expect.any(String),
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(secret);

    const pglite = await PGlite.create(dataDir);
    try {
      const clients = await createSqlOAuthClients(
        createPgliteClient(pglite, { owned: false }),
        'a2a_gateway',
      );
      expect(await clients.authenticate('billing', secret!)).toMatchObject({ tenant: 'acme' });
    } finally {
      await pglite.close();
    }
  }, 120_000);

  it('rotates the signing key, keeping the old one published', async () => {
    await cli('signing-keys', 'rotate');
    const keys = JSON.parse((await cli('signing-keys', 'list', '--json')).stdout);
    expect(
      keys.map((key: { active: boolean; published: boolean }) => [key.active, key.published]),
    ).toEqual([
      [true, true],
      [false, true],
    ]);
  }, 60_000);

  it('says to stop the gateway when one holds the data folder', async () => {
    const lock = await lockDataDir(dataDir, { role: 'gateway' });
    try {
      const failed = await cli('clients', 'list').catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed).toMatchObject({ code: 1 });
      expect((failed as { stderr: string }).stderr).toContain('Stop that gateway first');
    } finally {
      await lock.release();
    }
  });
});
