import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import canonicalize from 'canonicalize';
import type { CardContent, ExecutorDeps, HostedExecutor } from '../hosted-executor.js';
import { createMcpConnection, type McpConnection } from './connection.js';
import { serverEndpoint, serverOrigin } from './server-endpoint.js';
import type { McpExecutorSpec } from './spec.js';
import { exposedTools, type ServerSnapshot, toolsCard } from './tool-card.js';
import { createToolExecutor } from './tool-executor.js';

export { type McpExecutorSpec, McpExecutorSpecSchema } from './spec.js';
export { MCP_TOOLS_EXTENSION } from './tool-card.js';

/** An MCP agent's executor, and the one thing about it only tests and operators ask. */
export interface McpHostedExecutor extends HostedExecutor {
  /** The stdio server's process id while it runs (undefined for Streamable HTTP). */
  serverPid(): number | undefined;
}

/**
 * An agent whose skills are the tools of one MCP server: each task is one tool call, chosen
 * by a data part `{ "tool", "arguments" }`. The card follows the server's tool list.
 */
export function createMcpExecutor(spec: McpExecutorSpec, deps: ExecutorDeps): McpHostedExecutor {
  const origin = serverOrigin(spec.server);
  const log = deps.log;
  const listeners = new Set<() => void>();
  let connection: McpConnection | undefined;
  let tools: Tool[] = [];
  let content: CardContent | undefined;
  let contentKey = '';

  const follow = (snapshot: ServerSnapshot) => {
    tools = exposedTools(snapshot.tools, spec.tools);
    const missing = (spec.tools ?? []).filter((name) => !tools.some((tool) => tool.name === name));
    if (missing.length > 0)
      log.warn('MCP server does not offer (plain calls to) tools the agent file names', {
        agent: deps.agent,
        origin,
        missing,
      });
    const next = toolsCard({ ...snapshot, tools }, origin);
    const key = canonicalize(next) ?? '';
    if (key === contentKey) return;
    contentKey = key;
    content = next;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        log.error('agent card listener failed', { agent: deps.agent, error });
      }
    }
  };

  return {
    executor: createToolExecutor({
      connection: () => connection,
      tools: () => tools,
      origin,
      invalidArguments: spec.invalidArguments,
      callTimeoutMs: spec.callTimeoutMs ?? deps.timeoutMs,
      log,
      agent: deps.agent,
    }),
    name: `mcp:${origin}`,
    // A tool acts on the world: the claim is stored before it is called.
    claim: 'before-run',
    async start() {
      if (connection) throw new Error(`the MCP executor of agent ${deps.agent} was started twice`);
      // Throws MissingSecretError for an unset variable: a configuration error.
      const endpoint = serverEndpoint(spec.server, deps.baseDir);
      connection = createMcpConnection({
        endpoint,
        reconnect: spec.reconnect,
        log,
        agent: deps.agent,
      });
      connection.onSnapshot(follow);
      await connection.start();
    },
    card: () => content,
    onCardChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    health: () => connection?.health() ?? { status: 'starting', detail: 'not started' },
    serverPid: () => connection?.pid(),
    async close() {
      await connection?.close();
    },
  };
}
