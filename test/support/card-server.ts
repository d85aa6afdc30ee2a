import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import {
  type AgentCards,
  createA2aService,
  createJsonRpcBinding,
  type HostedAgent,
} from '../../src/a2a/index.js';
import { createApp } from '../../src/http/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createMemoryEventStore } from '../../src/store/index.js';
import { createTaskCommands, followTask, type TaskView, taskAt } from '../../src/tasks/index.js';

/**
 * The gateway's HTTP app (card routes, JSON-RPC) for `agents` on a loopback port, with the
 * `cards` it is given, as the composition root would wire them: for what a started gateway
 * cannot be configured with yet. Tasks live in memory; nothing here runs an agent.
 */
export async function startCardServer(agents: HostedAgent[], cards: AgentCards) {
  const logger = createLogger({ level: 'silent' });
  const store = createMemoryEventStore();
  const service = createA2aService({
    commands: createTaskCommands(store),
    // ListTasks is not called here: no task view.
    view: {} as TaskView,
    follow: (taskId, options) => followTask(store, taskId, options),
    taskAt: (taskId, position) => taskAt(store, taskId, position),
    catchUp: async () => {},
    cards,
  });
  let url = '';
  const app = createApp({
    store,
    storeKind: 'memory',
    logger,
    a2a: {
      agents,
      binding: createJsonRpcBinding(service, { logger }),
      publicUrl: () => url,
      maxBodyBytes: 1_000_000,
      heartbeatMs: 1_000,
      cards,
    },
  });
  const server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
      resolve(started as Server),
    );
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}
