import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpc, startTestGateway, type TestGateway, userMessage } from '../support/gateway.js';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';

/** An OTLP/HTTP collector stand-in: keeps the path and body of every export. */
async function startCollector() {
  const exports: { path: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      exports.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('tracing to an OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let gateway: TestGateway | undefined;

  beforeAll(async () => {
    collector = await startCollector();
    gateway = await startTestGateway({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'gateway-under-test' },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await collector?.close();
  });

  it('exports the spans of a request to <endpoint>/v1/traces, at the latest when stopping', async () => {
    const answer = await rpc(
      `${gateway!.url}/agents/echo`,
      { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: userMessage('hi') } },
      { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` },
    );
    expect(answer.status).toBe(200);
    // Stopping flushes the batch.
    await gateway!.stop();
    gateway = undefined;
    const traces = collector.exports.filter((entry) => entry.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    const all = traces.map((entry) => entry.body).join('\n');
    expect(all).toContain(TRACE_ID);
    expect(all).toContain('gateway-under-test');
    expect(all).toContain('task.run');
  });
});
