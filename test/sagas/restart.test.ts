import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import { childEnv, dropSchema, FIXTURE_AGENTS, rpc, userMessage } from '../support/gateway.js';
import { DATABASE_URL, describeEachDatabase, uniqueSchema } from '../support/services.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The gateway as a real process, killed the hard way by the test. It joins `children` before
 * it answers, so a start that times out under load still ends with the suite.
 */
async function startProcess(
  env: Record<string, string>,
  children: ChildProcess[],
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: childEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  await eventually(async () => {
    if (child.exitCode !== null)
      throw new Error(`gateway exited with ${child.exitCode}: ${stderr}`);
    try {
      return (await fetch(`http://127.0.0.1:${env.PORT}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 120_000);
  return child;
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

describeEachDatabase(
  'restart safety: a gateway killed mid-task (SIGKILL), on $name',
  ({ database }) => {
    let folder: string;
    let env: Record<string, string>;
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      folder = await mkdtemp(join(tmpdir(), 'restart-'));
      env = {
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
        DATA_DIR: folder,
        DATABASE_SCHEMA: uniqueSchema('restart'),
        AGENT_CARDS_DIR: FIXTURE_AGENTS,
        INSTANCE_ID: 'restart-test',
        ...(database === 'postgres' ? { DATABASE_URL: DATABASE_URL! } : {}),
      };
    });
    afterAll(async () => {
      for (const child of children) await stopProcess(child, 'SIGKILL');
      await rm(folder, { recursive: true, force: true });
      if (database === 'postgres') await dropSchema(DATABASE_URL!, env.DATABASE_SCHEMA!);
    });

    it('takes over, under a new INSTANCE_ID, a run whose instance died: done within the lease', async () => {
      const base = `http://127.0.0.1:${env.PORT}`;
      const call = (method: string, params: unknown) =>
        rpc(`${base}/agents/echo`, { jsonrpc: '2.0', id: 1, method, params });
      const leased = { ...env, RUN_LEASE_MS: '2000' };
      // A recreated container gets a new host name, so a new instance id.
      const first = await startProcess({ ...leased, INSTANCE_ID: 'container-a' }, children);
      const task = (
        await call('SendMessage', {
          message: userMessage('/sleep 1000'),
          configuration: { returnImmediately: true },
        })
      ).body.result.task;
      await eventually(async () => {
        const reply = await call('GetTask', { id: task.id });
        return reply.body.result?.status.state === 'TASK_STATE_WORKING';
      });
      await stopProcess(first, 'SIGKILL');

      const second = await startProcess({ ...leased, INSTANCE_ID: 'container-b' }, children);
      const restartedAt = Date.now();
      await eventually(async () => {
        const reply = await call('GetTask', { id: task.id });
        return reply.body.result?.status.state === 'TASK_STATE_COMPLETED';
      }, 20_000);
      // The lease (2 s), a scan (1 s) and the resumed run (1 s), with room for a busy machine.
      expect(Date.now() - restartedAt).toBeLessThan(10_000);
      const timeline = (await (await fetch(`${base}/tasks/${task.id}/events`)).json()) as {
        events: { type: string; data: { instance?: string; resumed?: boolean } }[];
      };
      const starts = timeline.events.filter((event) => event.type === 'task.execution_started');
      expect(starts.map((event) => [event.data.instance, event.data.resumed])).toEqual([
        ['container-a', false],
        ['container-b', true],
      ]);
      await stopProcess(second, 'SIGTERM');
    }, 300_000);

    it('resumes a working task (onRestart: resume) and fails one whose agent says fail', async () => {
      const base = `http://127.0.0.1:${env.PORT}`;
      const call = (agent: string, method: string, params: unknown) =>
        rpc(`${base}/agents/${agent}`, { jsonrpc: '2.0', id: 1, method, params });
      const first = await startProcess(env, children);

      const sleepy = (
        await call('echo', 'SendMessage', {
          message: userMessage('/sleep 1500'),
          configuration: { returnImmediately: true },
        })
      ).body.result.task;
      const fragile = (
        await call('fragile', 'SendMessage', {
          message: userMessage('/sleep 1500'),
          configuration: { returnImmediately: true },
        })
      ).body.result.task;
      // Both runs have started (the agent reported working) when the process dies.
      await eventually(async () => {
        const states = await Promise.all([
          call('echo', 'GetTask', { id: sleepy.id }),
          call('fragile', 'GetTask', { id: fragile.id }),
        ]);
        return states.every((reply) => reply.body.result?.status.state === 'TASK_STATE_WORKING');
      });
      await stopProcess(first, 'SIGKILL');

      const second = await startProcess(env, children);
      await eventually(async () => {
        const reply = await call('echo', 'GetTask', { id: sleepy.id });
        return reply.body.result?.status.state === 'TASK_STATE_COMPLETED';
      }, 20_000);
      const failed = (await call('fragile', 'GetTask', { id: fragile.id })).body.result;
      expect(failed.status.state).toBe('TASK_STATE_FAILED');
      expect(JSON.stringify(failed.status.message)).toContain('interrupted');

      const timeline = (await (await fetch(`${base}/tasks/${sleepy.id}/events`)).json()) as {
        events: { type: string; data: { resumed?: boolean } }[];
      };
      const starts = timeline.events.filter((event) => event.type === 'task.execution_started');
      expect(starts.map((event) => event.data.resumed)).toEqual([false, true]);

      // Still a working gateway: a new task completes.
      const fresh = await call('echo', 'SendMessage', {
        message: userMessage('after the restart'),
      });
      expect(fresh.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
      await stopProcess(second, 'SIGTERM');
      expect(second.exitCode).toBe(0);
      // The store was the one this suite names, whatever the runner's own environment holds.
      expect(existsSync(join(folder, 'PG_VERSION'))).toBe(database === 'pglite');
    }, 300_000);
  },
);
