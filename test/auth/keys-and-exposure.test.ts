import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/index.js';
import { eventually } from '../support/collect.js';
import {
  childEnv,
  FIXTURE_AGENTS,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { exitCode, runProcess } from '../support/process.js';
import { DATABASE_URL, suiteTitle } from '../support/services.js';

const cli = (env: Record<string, string>, ...args: string[]) =>
  runProcess(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], env);

async function runCli(env: Record<string, string>, ...args: string[]) {
  const run = cli(env, ...args);
  const code = await exitCode(run);
  return { code, output: run.output() };
}

describe('safe defaults: anonymous only on loopback', () => {
  const base = {
    PORT: '0',
    LOG_LEVEL: 'silent',
    AGENT_CARDS_DIR: FIXTURE_AGENTS,
    DATABASE_URL: '',
  };

  it('refuses a non-loopback address without authentication, naming what to set', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'exposure-'));
    try {
      const config = loadConfig({ ...base, HOST: '0.0.0.0', DATA_DIR: folder });
      await expect(startGateway(config, createLogger({ level: 'silent' }))).rejects.toThrow(
        /0\.0\.0\.0 is reachable from other machines and no authentication is configured; set AUTH_ISSUERS, AUTH_API_KEYS=true or AUTH_SERVER=true, or ALLOW_ANONYMOUS=true/,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('serves anyone on a non-loopback address only with ALLOW_ANONYMOUS=true', async () => {
    const gateway = await startTestGateway({ env: { HOST: '0.0.0.0', ALLOW_ANONYMOUS: 'true' } });
    try {
      const port = new URL(gateway.url).port;
      const { body } = await rpc(`http://127.0.0.1:${port}/agents/echo`, {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message: userMessage('open') },
      });
      expect(body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    } finally {
      await gateway.stop();
    }
  }, 90_000);
});

describe('keys CLI on the embedded store', () => {
  let folder: string;
  afterAll(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('adds a key that the gateway then accepts; lists without secrets; revokes', async () => {
    folder = await mkdtemp(join(tmpdir(), 'keys-cli-'));
    // runProcess adds the test's own environment back: DATABASE_URL must be unset here.
    const env = childEnv({
      DATA_DIR: folder,
      DATABASE_URL: '',
      DATABASE_SCHEMA: 'keys_cli',
      LOG_LEVEL: 'silent',
      AUTH_API_KEYS: 'true',
    });
    const asRecord = env as Record<string, string>;
    const added = await runCli(
      asRecord,
      'keys',
      'add',
      '--principal',
      'ci-bot',
      '--tenant',
      'acme',
      '--json',
    );
    expect(added.code, added.output).toBe(0);
    const { key, id } = JSON.parse(added.output) as { key: string; id: string };
    expect(key).toMatch(/^a2a_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);

    const listed = await runCli(asRecord, 'keys', 'list', '--json');
    expect(listed.code, listed.output).toBe(0);
    const records = JSON.parse(listed.output) as Record<string, unknown>[];
    expect(records).toEqual([
      expect.objectContaining({ id, principal: 'ci-bot', tenant: 'acme', revokedAt: null }),
    ]);
    expect(listed.output).not.toContain(key.split('_')[2]!);

    const gateway = await startTestGateway({
      env: { DATA_DIR: folder, DATABASE_SCHEMA: 'keys_cli', AUTH_API_KEYS: 'true' },
    });
    try {
      const { body } = await rpc(
        `${gateway.url}/agents/echo`,
        { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: userMessage('k') } },
        { 'x-api-key': key },
      );
      expect(body.result?.task.status.state, JSON.stringify(body)).toBe('TASK_STATE_COMPLETED');
      // The folder is the running gateway's: the CLI says how to manage keys meanwhile.
      const locked = await runCli(asRecord, 'keys', 'revoke', id);
      expect(locked.code).toBe(1);
      expect(locked.output).toContain('Stop that gateway first');
      expect(locked.output).toContain('/admin/api-keys');
    } finally {
      // Removes the test gateway's own (unused) folder, not this one.
      await gateway.stop();
    }
    const revoked = await runCli(asRecord, 'keys', 'revoke', id);
    expect(revoked.code, revoked.output).toBe(0);
    expect(revoked.output).toContain(`API key ${id} revoked`);
    const unknown = await runCli(asRecord, 'keys', 'revoke', '000000000000');
    expect(unknown.code).toBe(1);
    // Five processes each open the embedded database: seconds apiece.
  }, 180_000);
});

describe.skipIf(!DATABASE_URL)(
  suiteTitle('API key revocation across instances on PostgreSQL', 'DATABASE_URL'),
  () => {
    let first: TestGateway | undefined;
    let second: TestGateway | undefined;
    afterAll(async () => {
      await second?.gateway.stop();
      await first?.stop();
    });

    it('a key revoked by the CLI is refused at once by every running instance', async () => {
      first = await startTestGateway({ database: 'postgres', env: { AUTH_API_KEYS: 'true' } });
      second = await startTestGateway({ env: { ...first.env, PORT: '0' } });
      const env = childEnv({ ...first.env, LOG_LEVEL: 'silent' }) as Record<string, string>;
      const added = await runCli(env, 'keys', 'add', '--principal', 'bot', '--json');
      expect(added.code, added.output).toBe(0);
      const { key, id } = JSON.parse(added.output) as { key: string; id: string };
      const get = (gateway: TestGateway) =>
        rpc(
          `${gateway.url}/agents/echo`,
          { jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'none' } },
          { 'x-api-key': key },
        );
      // Both instances know (and remember) the key.
      expect((await get(first)).body.error.code).toBe(-32001);
      expect((await get(second)).body.error.code).toBe(-32001);
      expect((await runCli(env, 'keys', 'revoke', id)).code).toBe(0);
      // Told by NOTIFY, not by their 30 s memory running out.
      await eventually(async () => (await get(first!)).status === 401, 3_000);
      await eventually(async () => (await get(second!)).status === 401, 3_000);
    });
  },
);
