import { createRequire } from 'node:module';
import { type Message, Role, type Task } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import type { Emission, ExecutionContext } from '../../../src/executors/index.js';
import { eventually } from '../../support/collect.js';
import { type JsonBody, startGatewayWithAgents, type TestGateway } from '../../support/gateway.js';
import { freePort, type RunningProcess, runProcess, stopProcess } from '../../support/process.js';
import { jsonRpcSdkClient, sdkMessage } from '../../support/sdk.js';

/** The reference server of every MCP feature, run as its own process. */
export const EVERYTHING = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
);

/** The agent file's `server` for the everything server as a stdio child. */
export function everythingOverStdio() {
  return { transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] } as const;
}

export interface HttpServer {
  url: string;
  port: number;
  process: RunningProcess;
  stop(): Promise<void>;
}

/**
 * The everything server's Streamable HTTP mode on a loopback port (a free one unless `port`
 * is given), once it answers.
 */
export async function startEverythingOverHttp(port?: number): Promise<HttpServer> {
  const chosen = port ?? (await freePort());
  const running = runProcess(process.execPath, [EVERYTHING, 'streamableHttp'], {
    PORT: String(chosen),
  });
  const url = `http://127.0.0.1:${chosen}/mcp`;
  try {
    await eventually(async () => {
      if (running.child.exitCode !== null)
        throw new Error(`the everything server exited:\n${running.output()}`);
      try {
        // Without a session it answers 400: answering at all is what counts here.
        await fetch(url);
        return true;
      } catch {
        return false;
      }
    }, 60_000);
  } catch (error) {
    await stopProcess(running);
    throw error;
  }
  return { url, port: chosen, process: running, stop: () => stopProcess(running) };
}

export interface McpGateway {
  gateway: TestGateway;
  /** The SDK client of the named agent (its card must be served). */
  client(agent: string): Promise<Client>;
  cardOf(agent: string): Promise<{ status: number; body: JsonBody }>;
  stop(): Promise<void>;
}

/** A real gateway whose agents are the given files (name → file content), in a temp folder. */
export async function startMcpGateway(files: Record<string, unknown>): Promise<McpGateway> {
  const gateway = await startGatewayWithAgents(files);
  return {
    gateway,
    client: (agent) => jsonRpcSdkClient(`${gateway.url}/agents/${agent}/`),
    async cardOf(agent) {
      const response = await fetch(`${gateway.url}/agents/${agent}/.well-known/agent-card.json`);
      return { status: response.status, body: await response.json() };
    },
    stop: () => gateway.stop(),
  };
}

/** An agent file binding `name` to an MCP server. */
export function mcpAgent(name: string, executor: Record<string, unknown>, extra = {}) {
  return { name, card: {}, executor: { kind: 'mcp', ...executor }, ...extra };
}

/** A user message with one data part `{ tool, arguments }`, in the SDK's shape. */
export function toolMessage(
  tool: unknown,
  args?: Record<string, unknown>,
  extra: Partial<Message> = {},
): Message {
  return {
    ...sdkMessage('', extra),
    parts: [
      {
        content: {
          $case: 'data',
          value: args === undefined ? { tool } : { tool, arguments: args },
        },
        filename: '',
        mediaType: 'application/json',
        metadata: undefined,
      },
    ],
    role: Role.ROLE_USER,
  };
}

/** Every text of the task's artifacts. */
export function artifactTexts(task: Task): string[] {
  return task.artifacts.flatMap((artifact) =>
    artifact.parts.flatMap((part) => (part.content?.$case === 'text' ? [part.content.value] : [])),
  );
}

/** The text of a status message (of a task or a status update). */
export function statusText(task: Pick<Task, 'status'>): string {
  return (task.status?.message?.parts ?? [])
    .map((part) => (part.content?.$case === 'text' ? part.content.value : ''))
    .join('');
}

/** What one run of an executor emitted, for tests that drive an executor directly. */
export function recordingRun(message: ExecutionContext['message'], signal?: AbortSignal) {
  const emitted: Emission[] = [];
  const context: ExecutionContext = {
    task: {
      id: `t-${message.messageId}`,
      contextId: 'c-1',
      status: { state: 'TASK_STATE_SUBMITTED' },
    },
    message,
    agent: 'everything',
    signal: signal ?? new AbortController().signal,
    resumed: false,
    delegations: [],
  };
  const emit = async (...emissions: Emission[]) => {
    context.signal.throwIfAborted();
    emitted.push(...emissions);
  };
  return { context, emit, emitted };
}
