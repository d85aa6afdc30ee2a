import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/collect.js';
import { FIXTURE_AGENTS, rpc, userMessage } from './support/gateway.js';
import {
  exitCode,
  freePort,
  REPO_ROOT,
  type RunningProcess,
  runGateway,
  runProcess,
  stopProcess,
  waitHealthy,
} from './support/process.js';

// A terminal's Ctrl-C, `kill -TERM -<pgid>` and most supervisors signal the whole process
// group: every process in it (npm, the gateway) receives the signal once, and npm relays its
// copy to the gateway as well. The gateway must read those copies as one request to stop.
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

describe('shutdown on SIGTERM to the whole process group', () => {
  let folder: string;
  let env: Record<string, string>;
  let base: string;
  const running: RunningProcess[] = [];

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'shutdown-'));
  });
  afterEach(async () => {
    for (const process of running.splice(0)) await stopProcess(process);
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const call = (method: string, params: unknown) =>
    rpc(`${base}/agents/echo`, { jsonrpc: '2.0', id: 1, method, params });

  async function useFreshStore(): Promise<void> {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      DATA_DIR: await mkdtemp(join(folder, 'data-')),
      AGENT_CARDS_DIR: FIXTURE_AGENTS,
      DATABASE_URL: '', // the embedded store, even where the suite has a PostgreSQL
      INSTANCE_ID: 'shutdown-test',
    };
  }

  /**
   * Signals the group while a blocking request waits on a run (the drain must let it finish)
   * and another run works in the background (stopped, then resumed by the next start).
   */
  async function drainsAndKeepsTheTasks(gateway: RunningProcess): Promise<void> {
    running.push(gateway);
    await waitHealthy(gateway, base);
    const background = (
      await call('SendMessage', {
        message: userMessage('/sleep 5000'),
        configuration: { returnImmediately: true },
      })
    ).body.result.task;
    const blocking = call('SendMessage', { message: userMessage('/sleep 1500') });
    // The blocking call's run has started (its task is the other one working).
    await eventually(async () => {
      const { tasks } = (await call('ListTasks', { status: 'TASK_STATE_WORKING' })).body.result;
      return tasks.some((task: { id: string }) => task.id !== background.id);
    });

    process.kill(-gateway.child.pid!, 'SIGTERM');
    const answered = (await blocking).body.result.task;
    const code = await exitCode(gateway);
    expect(gateway.output()).not.toContain('second signal');
    expect(gateway.output()).toContain('shut down cleanly');
    expect(code).toBe(0);
    expect(answered.status.state).toBe('TASK_STATE_COMPLETED');

    // Nothing in flight was lost: the next start has both tasks and resumes the stopped run.
    const restarted = runGateway(env);
    running.push(restarted);
    await waitHealthy(restarted, base);
    expect((await call('GetTask', { id: answered.id })).body.result.status.state).toBe(
      'TASK_STATE_COMPLETED',
    );
    await eventually(
      async () =>
        (await call('GetTask', { id: background.id })).body.result?.status.state ===
        'TASK_STATE_COMPLETED',
      30_000,
    );
    await stopProcess(restarted, 'SIGTERM');
    expect(restarted.child.exitCode).toBe(0);
  }

  it('`npm start` drains, exits 0 and loses no in-flight task', async () => {
    await useFreshStore();
    await drainsAndKeepsTheTasks(runProcess('npm', ['start'], env, { detached: true }));
  }, 120_000);

  it('the built gateway (`node dist/main.js`) drains, exits 0 and loses nothing', async () => {
    // Built into a folder of its own inside the repository, so node_modules resolve and the
    // developer's dist/ is left alone.
    const outDir = join(REPO_ROOT, '.tmp', `dist-shutdown-${process.pid}`);
    const build = runProcess(
      process.execPath,
      [TSC, '-p', 'tsconfig.build.json', '--outDir', outDir],
      {},
    );
    try {
      expect(await exitCode(build), build.output()).toBe(0);
      await useFreshStore();
      await drainsAndKeepsTheTasks(
        runProcess(process.execPath, [join(outDir, 'main.js')], env, { detached: true }),
      );
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }, 120_000);
});
