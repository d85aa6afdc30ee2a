import { randomUUID } from 'node:crypto';
// The low-level Server, not McpServer: the tool list is worked out at each tools/list from the
// agents' cards as they are then (an MCP or upstream agent's card arrives after start-up and
// may change: sessions are then told, notifications/tools/list_changed), which McpServer's
// registrations made once cannot follow.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../auth/index.js';
import type { ToolCall } from './send-tool.js';
import { callTool, listTools, type ToolDependencies } from './tools.js';

type RequestExtra = Parameters<Parameters<Server['setRequestHandler']>[1]>[1];

export interface SessionServerOptions extends ToolDependencies {
  /** Who makes this request: its HTTP request's principal, or the session's one caller. */
  callerOf(extra: RequestExtra): Principal;
  /** Told of each refusal after authentication, for the security audit. */
  denied?: (caller: Principal, reason: string) => void;
  /** Told when a tool call starts and ends: a session with calls running is not idle. */
  onCall?: (running: 1 | -1) => void;
}

export interface SessionServer {
  server: Server;
  /** Connects the transport; from then on its closing is told apart from a cancellation. */
  connect(transport: Transport): Promise<void>;
}

/** The face's name and version (of this MCP face, not of the package). */
const SERVER_INFO = { name: 'a2a-event-gateway', title: 'A2A event gateway', version: '1.0.0' };

const INSTRUCTIONS =
  'Each send_to_<agent> tool hands a message to an A2A agent hosted by this gateway and waits ' +
  "for the task's result. A task that asks for input is continued by calling the same tool " +
  'with its taskId. get_task, list_tasks, cancel_task and get_task_audit follow tasks.';

const CORRELATION_ID = /^[\w.:=-]{1,128}$/;

/** One MCP session's server: the tools, for whoever each request comes from. */
export function createSessionServer(options: SessionServerOptions): SessionServer {
  const server = new Server(SERVER_INFO, {
    // Told when an agent's card changes (an MCP or upstream agent connects, its skills move).
    capabilities: { tools: { listChanged: true } },
    instructions: INSTRUCTIONS,
  });
  let closed = false;

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: listTools(options.agents),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const caller = options.callerOf(extra);
    const { denied } = options;
    const token = request.params._meta?.progressToken;
    let progress = 0;
    const call: ToolCall = {
      caller,
      correlationId: correlationOf(extra),
      signal: extra.signal,
      connectionClosed: () => closed,
      ...(denied ? { denied: (reason: string) => denied(caller, reason) } : {}),
      ...(token !== undefined
        ? {
            progress(message: string) {
              progress += 1;
              // A client gone meanwhile misses a progress report: nothing to do about it.
              extra
                .sendNotification({
                  method: 'notifications/progress',
                  params: { progressToken: token, progress, message },
                })
                .catch(() => {});
            },
          }
        : {}),
    };
    options.logger.debug('MCP tool call', {
      tool: request.params.name,
      principal: caller.name,
      correlationId: call.correlationId,
    });
    options.onCall?.(1);
    try {
      return await callTool(options, request.params.name, request.params.arguments, call);
    } finally {
      options.onCall?.(-1);
    }
  });

  return {
    server,
    async connect(transport) {
      // Runs before the SDK aborts the requests in flight (it wraps this handler): those aborts
      // then mean the connection went, and no task is canceled for them.
      transport.onclose = () => {
        closed = true;
      };
      await server.connect(transport);
    },
  };
}

/** The HTTP request's own correlation id, when it sent a plain one; else a new one. */
function correlationOf(extra: RequestExtra): string {
  const given = extra.requestInfo?.headers['x-correlation-id'];
  return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
}
