import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { A2aError, type HostedAgent, toJsonRpcError } from '../a2a/index.js';
import type { Logger } from '../observability/index.js';
import type { SendMessageResponse, StreamResponse } from '../protocol/index.js';
import { type A2aCall, A2aCallError, type A2aCalls } from './a2a-calls.js';
import { foldStreamResponse } from './stream-fold.js';
import type { SendInput } from './tool-inputs.js';
import { errorResult, partsText, sendResult, stateName } from './tool-results.js';

/** One tool call as the MCP session hands it over. */
export interface ToolCall extends Omit<A2aCall, 'agent' | 'signal'> {
  /** The MCP request's signal: aborted by the client's cancellation or a closing connection. */
  signal: AbortSignal;
  /** Whether the connection closed: an abort then is nobody waiting, not a cancellation. */
  connectionClosed(): boolean;
  /** Set when the client asked for progress (a progressToken). */
  progress?: (message: string) => void;
}

/**
 * Sends the tool's message to the agent and follows the task to where a blocking SendMessage
 * would return (completed, failed, waiting for input…), reporting each update as progress.
 * It always takes the streaming path: the first update names the task, so a cancellation of
 * the MCP request can cancel the A2A task even while it runs.
 */
export async function sendToAgent(
  deps: { a2a: A2aCalls; logger: Logger },
  agent: HostedAgent,
  tool: string,
  input: SendInput,
  call: ToolCall,
): Promise<CallToolResult> {
  if (agent.unavailable) {
    // As the card routes answer 503: there is no card to send against yet.
    const why = `agent ${agent.name} is unavailable: ${agent.unavailable}`;
    return errorResult(toJsonRpcError(new A2aError('AGENT_UNAVAILABLE', why)).error);
  }
  const { a2a, logger } = deps;
  const tenant = input.tenant ? { tenant: input.tenant } : {};
  const message = {
    messageId: randomUUID(),
    role: 'ROLE_USER',
    parts: [
      { text: input.text },
      ...(input.data ? [{ data: input.data, mediaType: 'application/json' }] : []),
    ],
    ...(input.contextId ? { contextId: input.contextId } : {}),
    ...(input.taskId ? { taskId: input.taskId } : {}),
  };
  const as: A2aCall = {
    agent,
    caller: call.caller,
    correlationId: call.correlationId,
    ...(call.denied ? { denied: call.denied } : {}),
  };

  // Following ends when the task settles, or once nobody waits: after a cancellation has
  // been asked for, or when the connection closed.
  const following = new AbortController();
  let taskId = input.taskId;
  let cancelWanted = false;
  let cancelling: Promise<void> | undefined;
  const cancel = (id: string) => {
    cancelling ??= a2a
      .unary('CancelTask', { id, ...tenant }, as)
      .then(
        () => logger.info('MCP call cancelled: task canceled', { taskId: id, agent: agent.name }),
        (error: unknown) =>
          logger.info('MCP call cancelled, its task could not be canceled', {
            taskId: id,
            reason: error instanceof Error ? error.message : String(error),
          }),
      )
      .finally(() => following.abort());
  };
  const onAbort = () => {
    if (call.connectionClosed()) return following.abort();
    cancelWanted = true;
    if (taskId) cancel(taskId);
  };
  if (call.signal.aborted) onAbort();
  else call.signal.addEventListener('abort', onAbort, { once: true });

  let outcome: SendMessageResponse | undefined;
  try {
    const responses = await a2a.stream(
      'SendStreamingMessage',
      { message, ...tenant },
      { ...as, signal: following.signal },
    );
    for await (const response of responses) {
      outcome = foldStreamResponse(outcome, response);
      taskId ??= outcome?.task?.id;
      if (cancelWanted && taskId) cancel(taskId);
      call.progress?.(progressMessage(response));
    }
  } catch (error) {
    if (error instanceof A2aCallError) return errorResult(error.error);
    throw error;
  } finally {
    call.signal.removeEventListener('abort', onAbort);
    await cancelling;
  }
  if (!outcome) {
    return errorResult({ code: -32603, message: `agent ${agent.name} answered nothing` });
  }
  return sendResult(outcome, tool);
}

const MAX_PROGRESS_TEXT = 500;

/** One update, said in a line: the state and what the agent said, or the artifact's text. */
export function progressMessage(response: StreamResponse): string {
  const clip = (text: string) =>
    text.length > MAX_PROGRESS_TEXT ? `${text.slice(0, MAX_PROGRESS_TEXT)}…` : text;
  if (response.task) return `task ${response.task.id}: ${stateName(response.task.status.state)}`;
  if (response.message) return `reply: ${clip(partsText(response.message.parts))}`;
  if (response.statusUpdate) {
    const { state, message } = response.statusUpdate.status;
    const said = message ? partsText(message.parts) : '';
    return `${stateName(state)}${said ? `: ${clip(said)}` : ''}`;
  }
  const artifact = response.artifactUpdate!.artifact;
  return `artifact ${artifact.name ?? artifact.artifactId}: ${clip(partsText(artifact.parts))}`;
}
