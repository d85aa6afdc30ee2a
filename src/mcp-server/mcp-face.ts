import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { HostedAgent, JsonRpcBinding } from '../a2a/index.js';
import type { Principal } from '../auth/index.js';
import type { Logger } from '../observability/index.js';
import type { EventStore } from '../store/index.js';
import { createA2aCalls } from './a2a-calls.js';
import { createHttpSessions, type HttpSessionOptions } from './http-sessions.js';
import { createSessionServer, type SessionServer } from './session-server.js';

export interface McpFaceOptions
  extends Omit<HttpSessionOptions, 'a2a' | 'agents' | 'store' | 'logger'> {
  agents: readonly HostedAgent[];
  /** The JSON-RPC binding A2A clients are served by: the same scopes and tenant rules. */
  binding: JsonRpcBinding;
  /** Where the audit timelines are read from. */
  store: EventStore;
  logger: Logger;
}

/** A session over a transport of the caller's own (stdio). */
export interface McpConnection {
  /** Settles when the session ends: the transport closed, or the face did. */
  closed: Promise<void>;
  close(): Promise<void>;
}

export interface McpFace {
  /** Streamable HTTP (`/mcp`) for a caller the HTTP layer authenticated. */
  handle(request: Request, caller: Principal): Promise<Response>;
  /** One session over `transport`, every request acting as `caller`. */
  connect(transport: Transport, caller: Principal): Promise<McpConnection>;
  /** Streamable HTTP sessions open now. */
  sessions(): number;
  /** An agent's card changed: every session is told its tool list did (`list_changed`). */
  toolsChanged(): void;
  /** Ends every session (their streams end, their calls stop following their tasks). */
  close(): Promise<void>;
}

/**
 * The gateway as an MCP server: each hosted A2A agent a tool, plus tools to follow tasks.
 * Every call goes through the A2A JSON-RPC binding as the caller, so an MCP host can do
 * exactly what its credentials allow an A2A client to do.
 */
export function createMcpFace(options: McpFaceOptions): McpFace {
  const { binding, ...rest } = options;
  const tools = { ...rest, a2a: createA2aCalls(binding) };
  const http = createHttpSessions(tools);
  const local = new Set<McpConnection>();
  const localServers = new Set<SessionServer['server']>();

  return {
    handle: (request, caller) => http.handle(request, caller),

    async connect(transport, caller) {
      const session = createSessionServer({ ...tools, callerOf: () => caller });
      const closed = new Promise<void>((resolve) => {
        session.server.onclose = resolve;
      });
      const connection: McpConnection = { closed, close: () => session.server.close() };
      local.add(connection);
      localServers.add(session.server);
      void closed.then(() => {
        local.delete(connection);
        localServers.delete(session.server);
      });
      await session.connect(transport);
      return connection;
    },

    sessions: () => http.size(),

    toolsChanged() {
      http.toolsChanged();
      for (const server of localServers) void server.sendToolListChanged().catch(() => {});
    },

    async close() {
      await Promise.all([http.close(), ...[...local].map((connection) => connection.close())]);
    },
  };
}
