import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createA2aService, createJsonRpcBinding, loadHostedAgents } from '../../src/a2a/index.js';
import { createEchoAgent } from '../../src/executors/index.js';
import { createApp, type RunningServer, startHttpServer } from '../../src/http/index.js';
import { createMcpFace, type McpFace } from '../../src/mcp-server/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  createMemoryInstanceLeases,
  createTaskLifecycle,
  type TaskLifecycle,
} from '../../src/sagas/index.js';
import { createMemoryEventStore, type EventStore } from '../../src/store/index.js';
import { createTaskCommands, followTask, type TaskView, taskAt } from '../../src/tasks/index.js';
import { eventually } from '../support/collect.js';
import { FIXTURE_AGENTS } from '../support/gateway.js';
import { connectMcp } from './mcp-client.js';

const logger = createLogger({ level: 'silent' });
const IDLE_MS = 200;

/**
 * The face's session table on a clock of the test's own: a gateway assembled from the real
 * parts (memory store, echo agent, A2A service and binding, HTTP app on loopback), with at
 * most two MCP sessions.
 */
describe('MCP sessions are bounded, and swept when idle', { timeout: 60_000 }, () => {
  let clock = 1_000_000;
  let store: EventStore;
  let lifecycle: TaskLifecycle;
  let face: McpFace;
  let server: RunningServer;
  const clients: Client[] = [];

  beforeEach(async () => {
    store = createMemoryEventStore();
    const commands = createTaskCommands(store);
    // Nothing to resume at start: this store begins empty.
    const view = { unsettled: async () => [] } as unknown as TaskView;
    const echo = createEchoAgent();
    lifecycle = createTaskLifecycle({
      store,
      commands,
      view,
      leases: createMemoryInstanceLeases(),
      instance: 'test',
      logger,
      runtimeFor: () => ({
        executor: echo,
        executorName: 'builtin:echo',
        timeoutMs: 60_000,
        onRestart: 'resume',
        claim: 'with-first-update',
      }),
    });
    await lifecycle.start();
    const service = createA2aService({
      commands,
      view,
      follow: (taskId, options) => followTask(store, taskId, options),
      taskAt: (taskId, position) => taskAt(store, taskId, position),
      catchUp: async () => {},
      stage: (command, context) => lifecycle.stage(command, context),
    });
    face = createMcpFace({
      agents: await loadHostedAgents(FIXTURE_AGENTS),
      binding: createJsonRpcBinding(service, { logger }),
      store,
      logger,
      maxSessions: 2,
      sessionIdleMs: IDLE_MS,
      now: () => clock,
    });
    server = await startHttpServer(
      createApp({ store, storeKind: 'memory', logger, mcp: face.handle }),
      { host: '127.0.0.1', port: 0 },
    );
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close().catch(() => {});
    await face?.close();
    await server?.close(1_000);
    await lifecycle?.stop();
    await store?.close();
  });

  async function open(): Promise<Client> {
    clock += 1;
    const { client } = await connectMcp(server.url);
    // A session the server closed makes the client's reconnection attempts fail: expected here.
    client.onerror = () => {};
    clients.push(client);
    return client;
  }

  /** A call that keeps its session busy until the returned function cancels it. */
  async function busy(client: Client) {
    clock += 1;
    const abort = new AbortController();
    let working = false;
    const call = client
      .callTool({ name: 'send_to_echo', arguments: { text: '/sleep 60000' } }, undefined, {
        signal: abort.signal,
        onprogress: (update) => {
          working ||= update.message?.startsWith('working') ?? false;
        },
      })
      .catch(() => 'aborted');
    await eventually(() => working, 30_000);
    return async () => {
      abort.abort();
      await call;
    };
  }

  it('a new session displaces the longest idle one; with every session busy it is refused', async () => {
    const first = await open();
    const stopFirst = await busy(first);
    const second = await open();
    expect(face.sessions()).toBe(2);

    // The first was used less recently, but has a call running: the second gives way.
    const third = await open();
    expect(face.sessions()).toBe(2);
    await expect(second.listTools()).rejects.toThrow(/Session not found/);
    expect((await first.listTools()).tools.length).toBeGreaterThan(0);

    const stopThird = await busy(third);
    await expect(connectMcp(server.url)).rejects.toThrow(/too many MCP sessions/);
    expect(face.sessions()).toBe(2);

    await stopFirst();
    await stopThird();
    await open();
    expect(face.sessions()).toBe(2);
  });

  it('closes a session idle for longer than sessionIdleMs, never one with a call running', async () => {
    const idle = await open();
    const working = await open();
    const stop = await busy(working);
    expect(face.sessions()).toBe(2);

    clock += IDLE_MS;
    await eventually(() => face.sessions() === 1, 30_000);
    await expect(idle.listTools()).rejects.toThrow(/Session not found/);
    expect((await working.listTools()).tools.length).toBeGreaterThan(0);
    await stop();
  });
});
