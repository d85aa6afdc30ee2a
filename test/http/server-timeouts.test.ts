import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpc, startTestGateway, type TestGateway, userMessage } from '../support/gateway.js';

const HEADERS_MS = 500;
const IDLE_MS = 800;
const REQUEST_MS = 3_000;
const KEEP_ALIVE_MS = 300;
const HEARTBEAT_MS = 200;

interface Closed {
  /** Milliseconds from connecting to the server closing the connection. */
  afterMs: number;
  received: string;
}

/** A raw connection; `closed` settles when the server ends it, or fails after `limitMs`. */
function rawConnection(url: string, limitMs = 10_000): { socket: Socket; closed: Promise<Closed> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk;
  });
  socket.on('error', () => {});
  const closed = new Promise<Closed>((resolve, reject) => {
    const limit = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server held the connection for more than ${limitMs} ms`));
    }, limitMs);
    socket.once('close', () => {
      clearTimeout(limit);
      resolve({ afterMs: Date.now() - started, received });
    });
  });
  return { socket, closed };
}

describe('HTTP server timeouts: idle and slow clients do not hold connections', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({
      env: {
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
        HTTP_IDLE_TIMEOUT_MS: String(IDLE_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
        SSE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('closes a connection that never sends a byte (Node counts headers from the connect)', async () => {
    const { afterMs } = await rawConnection(gateway.url).closed;
    expect(afterMs).toBeLessThan(Math.max(HEADERS_MS, IDLE_MS) + 1_000);
  });

  it('closes a connection that trickles its headers after the headers timeout (408)', async () => {
    const { socket, closed } = rawConnection(gateway.url);
    socket.write('GET /healthz HTTP/1.1\r\nHost: test\r\n');
    // A header line every 100 ms: never idle, never finished.
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: a\r\n'), 100);
    try {
      const { afterMs, received } = await closed;
      expect(afterMs).toBeGreaterThanOrEqual(HEADERS_MS - 50);
      expect(afterMs).toBeLessThan(HEADERS_MS + 1_000);
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(trickle);
    }
  });

  it('closes a connection whose request body stops arriving after the idle timeout', async () => {
    const { socket, closed } = rawConnection(gateway.url);
    socket.write(
      'POST /agents/echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n' +
        'A2A-Version: 1.0\r\nContent-Length: 100\r\n\r\n{"jsonrpc":',
    );
    const { afterMs } = await closed;
    expect(afterMs).toBeGreaterThanOrEqual(IDLE_MS - 50);
    // Well before the request timeout, which would close it too.
    expect(afterMs).toBeLessThan(REQUEST_MS);
  });

  it('closes a kept-alive connection after the keep-alive timeout once its answer is sent', async () => {
    const { socket, closed } = rawConnection(gateway.url);
    socket.write('GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n');
    const { afterMs, received } = await closed;
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    // Node keeps the socket a second past the announced timeout, so a client reusing it at
    // the last moment does not race the close.
    expect(afterMs).toBeLessThan(KEEP_ALIVE_MS + 2_000);
  });

  it('keeps an SSE stream with heartbeats open past the idle and request timeouts', async () => {
    const task = (
      await rpc(`${gateway.url}/agents/echo`, {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message: userMessage('/input') },
      })
    ).body.result.task;
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/tasks/${task.id}/events`, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const openFor = REQUEST_MS + 500;
    const started = Date.now();
    let text = '';
    try {
      while (Date.now() - started < openFor) {
        const { done, value } = await reader.read();
        expect(done, `the stream ended after ${Date.now() - started} ms`).toBe(false);
        text += decoder.decode(value, { stream: true });
      }
    } finally {
      controller.abort();
    }
    expect(text.split(': keep-alive').length - 1).toBeGreaterThanOrEqual(3);
  });

  it('answers a blocking call whose task works longer than the idle and request timeouts', async () => {
    const reply = await rpc(`${gateway.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 1,
      method: 'SendMessage',
      params: { message: userMessage(`/sleep ${REQUEST_MS + 500}`) },
    });
    expect(reply.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
  });
});
