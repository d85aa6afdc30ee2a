import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  childEnv,
  FIXTURE_AGENTS,
  startTestGateway,
  type TestGateway,
} from '../support/gateway.js';
import { exitCode, freePort, runProcess, waitHealthy } from '../support/process.js';
import { DATABASE_URL, suiteTitle } from '../support/services.js';
import { cli, jsonLines } from './run-cli.js';

describe('gateway serve', () => {
  it('starts the gateway as npm start does and stops cleanly on SIGTERM', {
    timeout: 120_000,
  }, async () => {
    const folder = await mkdtemp(join(tmpdir(), 'cli-serve-'));
    const port = await freePort();
    try {
      const served = runProcess(process.execPath, ['bin/gateway.js', 'serve'], {
        ...childEnv({
          HOST: '127.0.0.1',
          PORT: String(port),
          DATA_DIR: folder,
          // The embedded store, even where the suite has a PostgreSQL: runProcess adds the
          // suite's own environment back, and DATABASE_URL would win over DATA_DIR.
          DATABASE_URL: '',
          AGENT_CARDS_DIR: FIXTURE_AGENTS,
          LOG_LEVEL: 'info',
        }),
        GATEWAY_FROM_SOURCE: '1',
      } as Record<string, string>);
      await waitHealthy(served, `http://127.0.0.1:${port}`);
      served.child.kill('SIGTERM');
      expect(await exitCode(served)).toBe(0);
      expect(served.output()).toContain('signal received');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

// A shared PostgreSQL: the CLI opens the same database as the running gateway.
describe.skipIf(!DATABASE_URL)(
  suiteTitle(
    'gateway token and events export, on PostgreSQL beside a running gateway',
    'DATABASE_URL',
  ),
  () => {
    let gw: TestGateway;
    let env: Record<string, string>;

    beforeAll(async () => {
      const port = await freePort();
      gw = await startTestGateway({
        database: 'postgres',
        env: { AUTH_SERVER: 'true', PORT: String(port) },
      });
      env = {
        DATABASE_URL: DATABASE_URL!,
        DATABASE_SCHEMA: gw.env.DATABASE_SCHEMA!,
        AUTH_SERVER: 'true',
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        GATEWAY_URL: gw.url,
      };
    }, 60_000);
    afterAll(async () => {
      await gw?.stop();
    });

    it('mints a token the gateway accepts, and gets one with client credentials', {
      timeout: 180_000,
    }, async () => {
      const [minted, added, refused] = await Promise.all([
        cli(['token', '--subject', 'alice', '--scopes', 'a2a:send,a2a:read', '--json'], env),
        cli(['clients', 'add', 'cli-test', '--scopes', 'a2a:read', '--json'], env),
        cli(['tasks', 'list'], env),
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: /);

      expect(minted.code, minted.stderr).toBe(0);
      const token = JSON.parse(minted.stdout);
      expect(token).toMatchObject({ sub: 'alice', scope: 'a2a:send a2a:read', tenant: '' });
      expect(added.code, added.stderr).toBe(0);
      const { secret } = JSON.parse(added.stdout) as { secret: string };

      const [sent, granted, tooLong] = await Promise.all([
        cli(['send', 'echo', 'with a token', '--json'], { ...env, A2A_TOKEN: token.access_token }),
        cli(['token', '--url', gw.url, '--client-id', 'cli-test', '--client-secret', secret], env),
        cli(['token', '--ttl', '999999'], env),
      ]);
      expect(sent.code, sent.stderr).toBe(0);
      expect(jsonLines(sent.stdout).at(-1).statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');
      expect(granted.code, granted.stderr).toBe(0);
      const jwt = granted.stdout.trim();
      expect(jwt.split('.')).toHaveLength(3);
      expect(tooLong.code).toBe(1);
      expect(tooLong.stderr).toContain('--ttl');

      const [listed, wrongSecret] = await Promise.all([
        cli(['tasks', 'list', '--json'], { ...env, A2A_TOKEN: jwt }),
        cli(['token', '--url', gw.url, '--client-id', 'cli-test', '--client-secret', 'nope'], env),
      ]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(Array.isArray(JSON.parse(listed.stdout))).toBe(true);
      expect(wrongSecret.code).toBe(1);
      expect(wrongSecret.stderr).toContain('/oauth/token answered 401');
    });

    it('exports events straight from the store while the gateway runs', {
      timeout: 180_000,
    }, async () => {
      const minted = await cli(['token', '--json'], env);
      const { access_token } = JSON.parse(minted.stdout) as { access_token: string };
      const sent = await cli(['send', 'echo', 'exported', '--json'], {
        ...env,
        A2A_TOKEN: access_token,
      });
      const taskId = jsonLines(sent.stdout)[0].task.id as string;
      const exported = await cli(
        ['events', 'export', '--type', 'task.submitted,task.status_changed'],
        env,
      );
      expect(exported.code, exported.stderr).toBe(0);
      // Not a terminal: no progress bar on stderr.
      expect(exported.stderr).toBe('');
      const events = jsonLines(exported.stdout).filter((e) => e.streamId === `task-${taskId}`);
      expect(events.map((e) => e.type)[0]).toBe('task.submitted');
      expect(events.at(-1).data.status.state).toBe('TASK_STATE_COMPLETED');
    });
  },
);
