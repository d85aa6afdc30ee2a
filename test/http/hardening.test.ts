import { connect, type Socket } from 'node:net';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import { rpc, startTestGateway, type TestGateway, userMessage } from '../support/gateway.js';

// Bounded resources under idle and slow clients (MAX_SSE_STREAMS, MAX_CONNECTIONS), and the
// security headers every answer carries.

const MAX_STREAMS = 6;
const MAX_CONNECTIONS = 20;
const HEADERS_TIMEOUT_MS = 3_000;

// One gateway for every part: starting one is the slow step.
let gateway: TestGateway;
let taskId: string;
beforeAll(async () => {
  gateway = await startTestGateway({
    env: {
      MAX_SSE_STREAMS: String(MAX_STREAMS),
      MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '200',
    },
  });
  taskId = await idleTask(gateway);
});
afterAll(async () => {
  await gateway?.stop();
});

/** A task that waits for input: streams on it stay open and idle. */
async function idleTask(gateway: TestGateway): Promise<string> {
  const { body } = await rpc(`${gateway.url}/agents/echo`, {
    jsonrpc: '2.0',
    id: 'idle',
    method: 'SendMessage',
    params: { message: userMessage('/input') },
  });
  expect(body.result.task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
  return body.result.task.id;
}

async function getTask(gateway: TestGateway, id: string) {
  const { status, body } = await rpc(`${gateway.url}/agents/echo`, {
    jsonrpc: '2.0',
    id: 'get',
    method: 'GetTask',
    params: { id },
  });
  expect(status).toBe(200);
  expect(body.result.id).toBe(id);
  return body.result;
}

/** A SubscribeToTask stream held open and unread: its answer once the headers arrived. */
async function openSubscription(gateway: TestGateway, taskId: string, id: number) {
  const controller = new AbortController();
  const response = await fetch(`${gateway.url}/agents/echo`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'a2a-version': '1.0',
      accept: 'text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'SubscribeToTask', params: { id: taskId } }),
    signal: controller.signal,
  });
  return { response, close: () => controller.abort() };
}

describe('SSE streams are capped by MAX_SSE_STREAMS', () => {
  const open: { close(): void }[] = [];
  afterAll(async () => {
    for (const stream of open) stream.close();
    await eventually(() => gateway.gateway.stats().openStreams === 0);
  });

  it('refuses one stream more with 503, Retry-After and a JSON-RPC error, and still serves GetTask', async () => {
    for (let i = 0; i < MAX_STREAMS; i += 1) {
      const stream = await openSubscription(gateway, taskId, i);
      open.push(stream);
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
    }
    expect(gateway.gateway.stats().openStreams).toBe(MAX_STREAMS);

    const refused = await openSubscription(gateway, taskId, 99);
    expect(refused.response.status).toBe(503);
    expect(refused.response.headers.get('retry-after')).toBe('5');
    const body = (await refused.response.json()) as {
      id: unknown;
      error: { code: number; message: string };
    };
    expect(body.id).toBe(99);
    expect(body.error.code).toBe(-31504);
    expect(body.error.message).toMatch(/maximum of 6 SSE streams \(MAX_SSE_STREAMS\)/);

    // The audit stream shares the cap; its plain JSON form does not count.
    const audit = await fetch(`${gateway.url}/tasks/${taskId}/events`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(audit.status).toBe(503);
    expect(audit.headers.get('retry-after')).toBe('5');
    expect(((await audit.json()) as { error: string }).error).toBe('server_busy');
    const timeline = await fetch(`${gateway.url}/tasks/${taskId}/events`);
    expect(timeline.status).toBe(200);
    await timeline.body?.cancel();

    // Plain calls go on as ever while the streams sit idle.
    expect((await getTask(gateway, taskId)).status.state).toBe('TASK_STATE_INPUT_REQUIRED');
  });

  it('refuses a streaming SendMessage when full before any task is created', async () => {
    const before = await rpc(`${gateway.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 'list',
      method: 'ListTasks',
      params: {},
    });
    const refused = await rpc(`${gateway.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 'stream',
      method: 'SendStreamingMessage',
      params: { message: userMessage('not now') },
    });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe(-31504);
    const after = await rpc(`${gateway.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 'list',
      method: 'ListTasks',
      params: {},
    });
    expect(after.body.result.totalSize).toBe(before.body.result.totalSize);
  });

  it('gives a slot back when a stream ends', async () => {
    open.shift()!.close();
    // The server hears the client go a moment later: the slot is free once it has.
    await eventually(() => gateway.gateway.stats().openStreams === MAX_STREAMS - 1);
    const again = await openSubscription(gateway, taskId, 7);
    open.push(again);
    expect(again.response.status).toBe(200);
  });
});

/** A raw connection, read and discarded; `closed` turns true when the server closes it. */
function rawConnection(port: number): Promise<{ socket: Socket; state: { closed: boolean } }> {
  return new Promise((resolve, reject) => {
    const state = { closed: false };
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, state }));
    // Read what comes (a 408), or the server's end of the connection never reaches 'close'.
    socket.resume();
    socket.on('close', () => {
      state.closed = true;
    });
    socket.on('error', (error) => {
      // A reset of a socket the server dropped is the point; a failure to connect is not.
      if (!socket.remoteAddress) reject(error);
    });
  });
}

describe('connections are capped by MAX_CONNECTIONS and slow clients are cut', () => {
  const sockets: Socket[] = [];
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
  });

  it('drops connections over the cap while slow ones hold it, and serves again once they are cut', async () => {
    const port = Number(new URL(gateway.url).port);
    // This process's kept-alive connections from the calls before would hold slots: a fresh
    // pool for fetch, the old one closed, so every slot the server holds is one of ours.
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(new Agent());
    await previous.close();
    const started = Date.now();
    // Slow-loris clients, more than the cap: a request line and one header, then nothing.
    const slow: { socket: Socket; state: { closed: boolean } }[] = [];
    for (let i = 0; i < MAX_CONNECTIONS + 10; i += 1) {
      const connection = await rawConnection(port);
      sockets.push(connection.socket);
      connection.socket.write('POST /agents/echo HTTP/1.1\r\nHost: x\r\n');
      slow.push(connection);
    }
    const held = () => slow.filter((connection) => !connection.state.closed).length;
    // The ones over the cap go at once, long before the headers timeout would cut them.
    await eventually(() => held() <= MAX_CONNECTIONS, HEADERS_TIMEOUT_MS);
    expect(Date.now() - started).toBeLessThan(HEADERS_TIMEOUT_MS);
    expect(held()).toBe(MAX_CONNECTIONS);

    // Node cuts the slow ones at HTTP_HEADERS_TIMEOUT_MS; then calls are served again.
    await eventually(() => held() === 0, HEADERS_TIMEOUT_MS + 5_000);
    expect((await getTask(gateway, taskId)).status.state).toBe('TASK_STATE_INPUT_REQUIRED');
  });
});

describe('security headers', () => {
  function expectSecurityHeaders(headers: Headers, what: string) {
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(headers.get('referrer-policy'), what).toBe('no-referrer');
    expect(headers.get('x-frame-options'), what).toBe('DENY');
    expect(headers.get('content-security-policy'), what).toContain("frame-ancestors 'none'");
    expect(headers.get('x-powered-by'), what).toBeNull();
  }

  it('sends them on JSON, JSON-RPC, error, card and SSE answers', async () => {
    const answers: [string, Response][] = [
      ['healthz', await fetch(`${gateway.url}/healthz`)],
      ['card', await fetch(`${gateway.url}/.well-known/agent-card.json`)],
      ['not found', await fetch(`${gateway.url}/no/such/route`)],
      [
        'JSON-RPC parse error',
        await fetch(`${gateway.url}/agents/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{',
        }),
      ],
      [
        'JSON-RPC result',
        await fetch(`${gateway.url}/agents/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'SendMessage',
            params: { message: userMessage('hi') },
          }),
        }),
      ],
      [
        'SSE',
        await fetch(`${gateway.url}/agents/echo`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'a2a-version': '1.0',
            accept: 'text/event-stream',
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 2,
            method: 'SendStreamingMessage',
            params: { message: userMessage('hi') },
          }),
        }),
      ],
    ];
    for (const [what, response] of answers) {
      expect(response.status, what).toBeLessThan(500);
      expectSecurityHeaders(response.headers, what);
      await response.text();
    }
    expect(answers.at(-1)![1].headers.get('content-type')).toContain('text/event-stream');
  });
});
