import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Emission,
  type ExecutorDeps,
  type ExecutorLog,
  MissingSecretError,
} from '../../../src/executors/index.js';
import {
  createMcpExecutor,
  type McpExecutorSpec,
  McpExecutorSpecSchema,
  type McpHostedExecutor,
} from '../../../src/executors/mcp/index.js';
import { eventually } from '../../support/collect.js';
import { REPO_ROOT } from '../../support/process.js';
import { aMessage } from '../../support/task-spec.js';
import { EVERYTHING, everythingOverStdio, recordingRun } from './everything.js';

interface Logged {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

function recordingLog(): ExecutorLog & { lines: Logged[] } {
  const lines: Logged[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, ...(fields ? { fields } : {}) });
  };
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

const started: McpHostedExecutor[] = [];

function executorFor(file: Record<string, unknown>, log = recordingLog(), baseDir = process.cwd()) {
  const spec: McpExecutorSpec = McpExecutorSpecSchema.parse({ kind: 'mcp', ...file });
  const deps: ExecutorDeps = {
    agent: 'everything',
    baseDir,
    timeoutMs: 60_000,
    log,
    gateway: { id: 'test', maxDelegationDepth: 3 },
  };
  const executor = createMcpExecutor(spec, deps);
  started.push(executor);
  return { executor, log };
}

function call(tool: string, args: Record<string, string | number>) {
  return aMessage({ parts: [{ data: { tool, arguments: args } }] });
}

function lastStatus(emitted: Emission[]) {
  const status = emitted.findLast((emission) => emission.kind === 'status');
  if (status?.kind !== 'status') throw new Error(`no status in ${JSON.stringify(emitted)}`);
  return { state: status.state, text: status.message?.parts[0]?.text ?? '' };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((executor) => executor.close()));
});

describe('an MCP agent over stdio, its server process', () => {
  it('is named after its command line, claims before the run and reports up once connected', async () => {
    const { executor, log } = executorFor({ server: everythingOverStdio() });
    expect(executor.name).toBe(`mcp:${process.execPath} ${EVERYTHING} stdio`);
    expect(executor.claim).toBe('before-run');
    expect(executor.health().status).toBe('starting');
    await executor.start();
    expect(executor.health()).toEqual({ status: 'up' });
    expect(executor.card()?.source).toMatchObject({
      kind: 'mcp',
      origin: `${process.execPath} ${EVERYTHING} stdio`,
      version: '2.0.0',
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(log.lines.some((line) => line.message === 'MCP server connected')).toBe(true);
  });

  it('fails the call in flight when the server dies, restarts it, and serves the next task', async () => {
    const { executor, log } = executorFor({
      server: everythingOverStdio(),
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    await executor.start();
    const firstPid = executor.serverPid()!;
    expect(isRunning(firstPid)).toBe(true);

    const long = recordingRun(
      call('trigger-long-running-operation', { duration: 600, steps: 1200 }),
    );
    const running = executor.executor.execute(long.context, long.emit);
    // Progress means the call is in flight at the server.
    await eventually(() => long.emitted.length > 0, 20_000);
    process.kill(firstPid, 'SIGKILL');
    await running;
    const failed = lastStatus(long.emitted);
    expect(failed.state).toBe('TASK_STATE_FAILED');
    expect(failed.text).toBe(
      `MCP server ${process.execPath} ${EVERYTHING} stdio connection lost: the server process ${firstPid} exited`,
    );
    expect(log.lines.some((line) => line.message === 'MCP server connection lost')).toBe(true);

    await eventually(() => executor.health().status === 'up', 30_000);
    expect(executor.serverPid()).not.toBe(firstPid);
    const next = recordingRun(call('echo', { message: 'back again' }));
    await executor.executor.execute(next.context, next.emit);
    expect(next.emitted).toEqual([
      {
        kind: 'artifact',
        artifact: {
          artifactId: `${next.context.message.messageId}-result`,
          name: 'echo',
          parts: [{ text: 'Echo: back again' }],
        },
        lastChunk: true,
      },
      { kind: 'status', state: 'TASK_STATE_COMPLETED' },
    ]);
  }, 60_000);

  it('fails a task at once while the server is down, and gives up after maxRestarts', async () => {
    const { executor } = executorFor({
      server: {
        transport: 'stdio',
        command: process.execPath,
        args: ['-e', 'console.error("no config here"); process.exit(3)'],
      },
      reconnect: { initialDelayMs: 10, maxDelayMs: 40, maxRestarts: 2 },
    });
    await executor.start();
    expect(executor.health().status).not.toBe('up');
    expect(executor.health().detail).toContain('no config here');
    expect(executor.card()).toBeUndefined();

    await eventually(() => executor.health().status === 'down', 20_000);
    expect(executor.health().detail).toMatch(
      /^gave up after 2 restarts in a row without a successful connection \(maxRestarts 2\): .*no config here/,
    );
    const run = recordingRun(call('echo', { message: 'anyone?' }));
    await executor.executor.execute(run.context, run.emit);
    const status = lastStatus(run.emitted);
    expect(status.state).toBe('TASK_STATE_FAILED');
    expect(status.text).toMatch(/^MCP server .* is down: gave up after 2 restarts/);
  });

  it('gives the child a minimal environment plus the secrets its file names', async () => {
    process.env.MCP_TEST_GREETING = 'hello from a secret';
    process.env.MCP_TEST_GATEWAY_ONLY = 'not for children';
    try {
      const { executor } = executorFor({
        server: { ...everythingOverStdio(), env: { GREETING: { env: 'MCP_TEST_GREETING' } } },
      });
      await executor.start();
      const run = recordingRun(call('get-env', {}));
      await executor.executor.execute(run.context, run.emit);
      const artifact = run.emitted.find((emission) => emission.kind === 'artifact');
      const env = JSON.parse(
        artifact?.kind === 'artifact' ? (artifact.artifact.parts[0]?.text ?? '') : '{}',
      );
      expect(env.GREETING).toBe('hello from a secret');
      expect(env.PATH).toBe(process.env.PATH);
      expect(env.MCP_TEST_GATEWAY_ONLY).toBeUndefined();
    } finally {
      delete process.env.MCP_TEST_GREETING;
      delete process.env.MCP_TEST_GATEWAY_ONLY;
    }
  });

  it("starts the child in its cwd, relative to the agent file's folder", async () => {
    const { executor } = executorFor(
      {
        server: {
          transport: 'stdio',
          command: process.execPath,
          args: ['growing-tools.mjs'],
          cwd: 'fixtures/mcp',
        },
      },
      recordingLog(),
      join(REPO_ROOT, 'test'),
    );
    await executor.start();
    expect(executor.health()).toEqual({ status: 'up' });
    expect(executor.card()?.skills.map((skill) => skill.id)).toEqual(['grow']);
  });

  it('refuses to start when a secret it names is not set', async () => {
    const { executor } = executorFor({
      server: { ...everythingOverStdio(), env: { TOKEN: { env: 'MCP_TEST_NEVER_SET' } } },
    });
    await expect(executor.start()).rejects.toBeInstanceOf(MissingSecretError);
  });

  it('ends the server process on close', async () => {
    const { executor } = executorFor({ server: everythingOverStdio() });
    await executor.start();
    const pid = executor.serverPid()!;
    await executor.close();
    await eventually(() => !isRunning(pid), 10_000);
    expect(executor.health().status).toBe('down');
  });
});
