import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JsonBody,
  rpc,
  startGatewayWithAgents,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

/**
 * A stateless MCP server over Streamable HTTP with one tool, `trace`, answering with what
 * the call carried: the `traceparent` header of its HTTP request and the `_meta` of the call.
 */
async function startTraceReportingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const mcp = new McpServer({ name: 'trace-reporter', version: '1.0.0' });
    mcp.registerTool('trace', { description: 'Reports the trace it was called in.' }, (extra) => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({
            header: extra.requestInfo?.headers.traceparent,
            meta: extra._meta?.traceparent,
          }),
        },
      ],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    void mcp.connect(transport).then(() => transport.handleRequest(req, res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('tracing to an MCP server over Streamable HTTP', () => {
  const exporter = new InMemorySpanExporter();
  let mcp: Awaited<ReturnType<typeof startTraceReportingServer>>;
  let gateway: TestGateway;

  beforeAll(async () => {
    mcp = await startTraceReportingServer();
    gateway = await startGatewayWithAgents(
      {
        reporter: {
          name: 'reporter',
          card: {},
          executor: { kind: 'mcp', server: { transport: 'http', url: mcp.url } },
        },
      },
      { gateway: { traceExporter: exporter } },
    );
  });
  afterAll(async () => {
    await gateway?.stop();
    await mcp?.close();
  });

  it('a tool call carries the executor span in its headers and in _meta', async () => {
    const answer = await rpc(
      `${gateway.url}/agents/reporter`,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message: { ...userMessage(''), parts: [{ data: { tool: 'trace' } }] } },
      },
      { traceparent: TRACEPARENT },
    );
    expect(answer.status).toBe(200);
    const task: JsonBody = answer.body.result.task;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    const seen = JSON.parse(task.artifacts[0].parts[0].text) as { header?: string; meta?: string };

    const execute = exporter
      .getFinishedSpans()
      .find((span) => span.name === 'executor.execute' && span.spanContext().traceId === TRACE_ID);
    expect(execute).toBeDefined();
    const expected = `00-${TRACE_ID}-${execute!.spanContext().spanId}-01`;
    expect(seen.header).toBe(expected);
    expect(seen.meta).toBe(expected);
  });
});
