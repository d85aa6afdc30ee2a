import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../src/store/index.js';
import { FIXTURE_AGENTS, rpc, userMessage } from './support/gateway.js';
import {
  exitCode,
  freePort,
  type RunningProcess,
  runGateway,
  runProcess,
  stopProcess,
  waitHealthy,
} from './support/process.js';

describe('start-up: the port is checked before the store opens', () => {
  let folder: string;
  let squatter: Server;
  let port: number;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'startup-'));
    port = await freePort();
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => squatter?.close(resolve));
    await rm(folder, { recursive: true, force: true });
  });

  it('fails fast, naming the address, when PORT is taken, without touching DATA_DIR', async () => {
    const dataDir = join(folder, 'never-opened');
    const gateway = runGateway({
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      AGENT_CARDS_DIR: FIXTURE_AGENTS,
      DATABASE_URL: '', // the embedded store, even where the suite has a PostgreSQL
    });
    expect(await exitCode(gateway)).toBe(1);
    expect(gateway.output()).toContain(
      `start-up failed: cannot listen on 127.0.0.1:${port}: the port is already in use`,
    );
    expect(gateway.output()).toContain('set PORT to another port');
    // The embedded store was never opened (which takes seconds and creates the folder).
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('start-up: one process per embedded data folder', () => {
  let dataDir: string;
  let first: RunningProcess;
  let firstUrl: string;
  const running: RunningProcess[] = [];
  const envFor = (port: number) => ({
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    DATA_DIR: dataDir,
    AGENT_CARDS_DIR: FIXTURE_AGENTS,
    DATABASE_URL: '', // the embedded store, even where the suite has a PostgreSQL
  });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'startup-lock-'));
    const port = await freePort();
    firstUrl = `http://127.0.0.1:${port}`;
    first = runGateway(envFor(port));
    running.push(first);
    await waitHealthy(first, firstUrl);
  });
  afterAll(async () => {
    for (const process of running) await stopProcess(process);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a second gateway, a CLI audit and a migrate; the first keeps its data', async () => {
    const send = (text: string) =>
      rpc(`${firstUrl}/agents/echo`, {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message: userMessage(text) },
      });
    const task = (await send('before the second process')).body.result.task;
    const holder = `is in use by PID ${first.child.pid}`;

    const second = runGateway(envFor(await freePort()));
    running.push(second);
    expect(await exitCode(second)).toBe(1);
    expect(second.output()).toContain(`start-up failed: the data folder ${dataDir} ${holder}`);
    expect(second.output()).toContain(`use that gateway at ${firstUrl}`);

    const cli = (...args: string[]) =>
      runProcess(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        DATA_DIR: dataDir,
        DATABASE_URL: '',
        LOG_LEVEL: 'silent',
      });
    const audit = cli('audit', task.id);
    expect(await exitCode(audit)).toBe(1);
    expect(audit.output()).toContain(`the data folder ${dataDir} ${holder}`);
    expect(audit.output()).toContain(`npm run cli -- audit ${task.id} --url ${firstUrl}`);
    const migrate = cli('migrate');
    expect(await exitCode(migrate)).toBe(1);
    expect(migrate.output()).toContain(`the data folder ${dataDir} ${holder}`);

    // The first gateway is unharmed: it still answers, with its data, and takes new work.
    expect((await fetch(`${firstUrl}/healthz`)).ok).toBe(true);
    const read = await rpc(`${firstUrl}/agents/echo`, {
      jsonrpc: '2.0',
      id: 2,
      method: 'GetTask',
      params: { id: task.id },
    });
    expect(read.body.result.status.state).toBe('TASK_STATE_COMPLETED');
    expect((await send('after the second process')).body.result.task.status.state).toBe(
      'TASK_STATE_COMPLETED',
    );

    // A clean shutdown frees the folder; the next gateway opens it with everything in it.
    await stopProcess(first, 'SIGTERM');
    expect(first.child.exitCode).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    const port = await freePort();
    const next = runGateway(envFor(port));
    running.push(next);
    await waitHealthy(next, `http://127.0.0.1:${port}`);
    const again = await rpc(`http://127.0.0.1:${port}/agents/echo`, {
      jsonrpc: '2.0',
      id: 3,
      method: 'GetTask',
      params: { id: task.id },
    });
    expect(again.body.result.status.state).toBe('TASK_STATE_COMPLETED');
  }, 180_000);
});
