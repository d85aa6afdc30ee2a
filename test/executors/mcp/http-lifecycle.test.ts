import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutorDeps } from '../../../src/executors/index.js';
import { createMcpExecutor, McpExecutorSpecSchema } from '../../../src/executors/mcp/index.js';
import { eventually } from '../../support/collect.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const deps: ExecutorDeps = {
  agent: 'remote',
  baseDir: process.cwd(),
  timeoutMs: 10_000,
  log: silent,
  gateway: { id: 'test', maxDelegationDepth: 3 },
};

/** A loopback HTTP server that is no MCP server: it keeps the headers it gets and says 503. */
async function refusingServer(): Promise<{
  url: string;
  seen: IncomingHttpHeaders[];
  server: Server;
}> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    response.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/mcp`, seen, server };
}

function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('an MCP agent over Streamable HTTP, its connection', () => {
  it('sends the token as a bearer and the headers, and reports what the server answered', async () => {
    const remote = await refusingServer();
    cleanups.push(() => stopServer(remote.server));
    process.env.MCP_TEST_TOKEN = 'tok-123';
    cleanups.push(async () => {
      delete process.env.MCP_TEST_TOKEN;
    });
    const executor = createMcpExecutor(
      McpExecutorSpecSchema.parse({
        kind: 'mcp',
        server: {
          transport: 'http',
          url: `${remote.url}?api_key=hidden`,
          token: { env: 'MCP_TEST_TOKEN' },
          headers: { 'X-Tenant': 'acme' },
        },
        reconnect: { initialDelayMs: 5_000, maxDelayMs: 5_000 },
      }),
      deps,
    );
    cleanups.push(() => executor.close());
    expect(executor.name).toBe(`mcp:${remote.url}`);

    await executor.start();
    expect(remote.seen[0]).toMatchObject({ authorization: 'Bearer tok-123', 'x-tenant': 'acme' });
    const health = executor.health();
    expect(health.status).toBe('starting');
    expect(health.detail).toMatch(
      /^not connected yet \(next attempt in [\d.]+ s\): Streamable HTTP error: Error POSTing to endpoint: down for maintenance$/,
    );
  });

  it('keeps retrying with backoff while the server refuses', async () => {
    const remote = await refusingServer();
    cleanups.push(() => stopServer(remote.server));
    const executor = createMcpExecutor(
      McpExecutorSpecSchema.parse({
        kind: 'mcp',
        server: { transport: 'http', url: remote.url },
        // No restart limit applies to a remote server: it is retried until it answers.
        reconnect: { initialDelayMs: 10, maxDelayMs: 40, maxRestarts: 0 },
      }),
      deps,
    );
    cleanups.push(() => executor.close());
    await executor.start();
    await eventually(() => remote.seen.length >= 4, 20_000);
    expect(executor.health().status).toBe('starting');
  });
});
