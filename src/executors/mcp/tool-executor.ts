import { randomUUID } from 'node:crypto';
import {
  type CallToolResult,
  ErrorCode,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { traceHeaders } from '../../observability/index.js';
import { ArtifactSchema, type Message } from '../../protocol/index.js';
import type { AgentExecutor, Emit, ExecutionContext } from '../agent-executor.js';
import type { ExecutorLog } from '../hosted-executor.js';
import { ConnectionLost, describeError, type McpConnection, type Session } from './connection.js';
import { createProgressThrottle } from './progress-throttle.js';
import { chooseToolCall, createArgumentCheck, type ToolCall } from './tool-call.js';
import { errorText, resultParts } from './tool-result.js';

export interface ToolExecutorOptions {
  /** The connection once started; undefined before. */
  connection: () => McpConnection | undefined;
  /** The tools that are skills now (the agent file's filter applied). */
  tools: () => readonly Tool[];
  origin: string;
  invalidArguments: 'reject' | 'input-required';
  /** A tool call's request timeout; progress restarts it. */
  callTimeoutMs: number;
  log: ExecutorLog;
  agent: string;
}

/**
 * Runs a task as one tool call: picks the tool and arguments from the message, checks them
 * against the tool's input schema, calls it (progress becomes working updates) and turns the
 * result into one artifact.
 */
export function createToolExecutor(options: ToolExecutorOptions): AgentExecutor {
  const { origin, log, agent } = options;
  const validator = new AjvJsonSchemaValidator();
  const check = createArgumentCheck(
    (schema) => validator.getValidator(schema),
    (tool, error) =>
      log.warn('MCP tool input schema cannot be checked here', {
        agent,
        tool: tool.name,
        error: describeError(error),
      }),
  );

  return {
    async execute(context, emit) {
      const connection = options.connection();
      const session = connection?.session();
      if (!connection || !session) {
        const why = connection?.unavailable() ?? `MCP server ${origin} is not started`;
        return fail(emit, why);
      }
      const choice = chooseToolCall(context.message, options.tools());
      const problem = choice.ok ? check(choice) : choice.problem;
      if (!choice.ok || problem) {
        return emit({
          kind: 'status',
          state:
            options.invalidArguments === 'reject'
              ? 'TASK_STATE_REJECTED'
              : 'TASK_STATE_INPUT_REQUIRED',
          message: say(problem ?? 'invalid request'),
        });
      }
      return callTool(context, emit, session, connection, choice);
    },
  };

  async function callTool(
    context: ExecutionContext,
    emit: Emit,
    session: Session,
    connection: McpConnection,
    call: ToolCall,
  ): Promise<void> {
    const name = call.tool.name;
    const progress = createProgressThrottle((text) =>
      emit({ kind: 'status', state: 'TASK_STATE_WORKING', message: say(text) }),
    );
    let outcome: { result: CallToolResult } | { error: unknown };
    try {
      // The signal makes the SDK send notifications/cancelled when the task is canceled.
      // Any transport carries the trace in `_meta` too (stdio has no headers).
      const trace = traceHeaders();
      const meta = trace.traceparent === undefined ? {} : { _meta: trace };
      const params = { name, arguments: call.arguments, ...meta };
      const result = await session.client.callTool(params, undefined, {
        signal: AbortSignal.any([context.signal, session.lost]),
        timeout: options.callTimeoutMs,
        resetTimeoutOnProgress: true,
        onprogress: (update) => progress.report(update),
      });
      outcome = { result: result as CallToolResult };
    } catch (error) {
      outcome = { error };
    }
    // Progress sent after the outcome would read as going backwards.
    await progress.stop();
    if ('error' in outcome) {
      if (context.signal.aborted) throw context.signal.reason;
      return fail(emit, callFailure(outcome.error, session, connection, name));
    }
    const { result } = outcome;
    if (result.isError) return fail(emit, errorText(result));
    const parts = resultParts(result);
    if (parts.length === 0) {
      return emit({
        kind: 'status',
        state: 'TASK_STATE_COMPLETED',
        message: say(`The tool ${name} returned no content.`),
      });
    }
    const artifact = ArtifactSchema.safeParse({
      // From the message: a repeated run replaces its artifact instead of adding one.
      artifactId: `${context.message.messageId}-result`,
      name,
      parts,
    });
    if (!artifact.success) {
      const issue = artifact.error.issues[0]!;
      return fail(
        emit,
        `The result of tool ${name} cannot be stored: ${issue.path.join('.')}: ${issue.message}`,
      );
    }
    await emit(
      { kind: 'artifact', artifact: artifact.data, lastChunk: true },
      { kind: 'status', state: 'TASK_STATE_COMPLETED' },
    );
  }

  function callFailure(
    error: unknown,
    session: Session,
    connection: McpConnection,
    tool: string,
  ): string {
    if (session.lost.aborted) {
      const reason = session.lost.reason;
      const why = reason instanceof ConnectionLost ? reason.why : describeError(reason);
      return `MCP server ${origin} connection lost: ${why}`;
    }
    if (error instanceof McpError) {
      if (error.code === ErrorCode.RequestTimeout)
        return `MCP tool ${tool} did not answer within ${options.callTimeoutMs} ms (callTimeoutMs)`;
      if (error.code !== ErrorCode.ConnectionClosed)
        return `MCP tool ${tool} failed: ${error.message}`;
    } else if (isInvalidResult(error)) {
      return `MCP tool ${tool} returned a result that is not valid MCP: ${describeError(error)}`;
    }
    // The request never got an answer through the transport: the connection is gone.
    const why = describeError(error);
    connection.lose(session, why);
    return `MCP server ${origin} connection lost: ${why}`;
  }
}

function fail(emit: Emit, text: string): Promise<void> {
  return emit({ kind: 'status', state: 'TASK_STATE_FAILED', message: say(text) });
}

function say(text: string): Message {
  return { messageId: randomUUID(), role: 'ROLE_AGENT', parts: [{ text }] };
}

// The SDK rejects with its schema library's error when a result does not parse.
function isInvalidResult(error: unknown): boolean {
  return error instanceof Error && error.name === 'ZodError';
}
