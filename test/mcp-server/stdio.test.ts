import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import { FIXTURE_AGENTS } from '../support/gateway.js';
import { exitCode } from '../support/process.js';
import { read } from './mcp-client.js';
import { MCP_COMMAND, type StdioChild, spawnStdio, stdioEnv } from './stdio-process.js';

// A child gateway starts in seconds alone, but much slower beside other suites on two cores.
describe('the MCP face over stdio (npm run cli -- mcp)', { timeout: 180_000 }, () => {
  let folder: string;
  let env: Record<string, string>;
  const children: StdioChild[] = [];

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'mcp-stdio-'));
    env = {
      DATA_DIR: folder,
      // The embedded store, even where the suite has a PostgreSQL.
      DATABASE_URL: '',
      HOST: '127.0.0.1',
      PORT: '0',
      AGENT_CARDS_DIR: FIXTURE_AGENTS,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '2000',
    };
  });
  afterEach(async () => {
    // Only the processes this test started, by their own handle.
    for (const { child } of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(folder, { recursive: true, force: true });
  });

  const started = (child: StdioChild) => {
    children.push(child);
    return child;
  };

  it('serves the tools to the SDK stdio client as the local operator', async () => {
    const transport = new StdioClientTransport({
      ...MCP_COMMAND,
      env: stdioEnv(env),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const problems: Error[] = [];
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    client.onerror = (error) => problems.push(error);
    try {
      await client.connect(transport, { timeout: 150_000 });
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('send_to_echo');

      const result = read(
        await client.callTool({ name: 'send_to_echo', arguments: { text: 'hello over stdio' } }),
      );
      expect(result.text).toBe('hello over stdio');
      expect(result.structured.task.status.state).toBe('TASK_STATE_COMPLETED');

      const audit = read(
        await client.callTool({
          name: 'get_task_audit',
          arguments: { taskId: result.structured.task.id },
        }),
      );
      expect(audit.structured.events[0]).toMatchObject({
        type: 'task.submitted',
        principal: 'local-operator',
        tenant: '',
      });
      // Logs went to stderr; nothing on stdout failed to parse as a protocol message.
      expect(stderr).toContain('serving MCP on stdio');
      expect(problems).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('exits with code 0 when its stdin closes, having written nothing but protocol on stdout', async () => {
    const running = started(spawnStdio(env));
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(running.transport, { timeout: 150_000 });
    expect((await client.listTools()).tools.length).toBeGreaterThan(4);

    running.child.stdin!.end();
    expect(await exitCode({ ...running, output: running.stderr }, 120_000)).toBe(0);
    expect(running.stderr()).toContain('"reason":"stdin closed"');
    expect(running.stderr()).toContain('shut down cleanly');
    expect(running.strayLines).toEqual([]);
  });

  it('stops cleanly on SIGTERM, even with a tool call in flight', async () => {
    const running = started(spawnStdio(env));
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(running.transport, { timeout: 150_000 });
    let working = false;
    const call = client.callTool(
      { name: 'send_to_echo', arguments: { text: '/sleep 60000' } },
      undefined,
      {
        onprogress: (update) => {
          working ||= update.message?.startsWith('working') ?? false;
        },
      },
    );
    // Nobody awaits it until the end: it fails when the connection goes.
    call.catch(() => {});
    await eventually(() => working, 30_000);

    running.child.kill('SIGTERM');
    expect(await exitCode({ ...running, output: running.stderr }, 120_000)).toBe(0);
    expect(running.stderr()).toContain('"reason":"SIGTERM"');
    expect(running.stderr()).toContain('shut down cleanly');
    await expect(call).rejects.toThrow();
    expect(running.strayLines).toEqual([]);
  });
});
