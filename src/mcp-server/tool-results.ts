import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { JsonRpcError } from '../a2a/index.js';
import type {
  ListTasksResponse,
  Message,
  Part,
  SendMessageResponse,
  Task,
} from '../protocol/index.js';
import type { AuditEntry } from '../tasks/index.js';

/**
 * What a tool answers. `structuredContent` is exactly what the A2A method answers (a
 * SendMessageResponse, a Task, a ListTasksResponse, the audit timeline); the text content
 * is what a model reads: the output itself, or what to do next.
 */

/** `TASK_STATE_INPUT_REQUIRED` → `input-required`: how people and the tool inputs say it. */
export function stateName(state: string): string {
  return state
    .replace(/^TASK_STATE_/, '')
    .toLowerCase()
    .replaceAll('_', '-');
}

export function partsText(parts: readonly Part[]): string {
  return parts
    .map((part) => {
      if (part.text !== undefined) return part.text;
      if (part.data !== undefined) return JSON.stringify(part.data);
      const name = part.filename ?? 'file';
      const type = part.mediaType ? ` (${part.mediaType})` : '';
      if (part.url !== undefined) return `[${name}${type}: ${part.url}]`;
      return `[${name}${type}: ${part.raw?.length ?? 0} base64 characters, see structuredContent]`;
    })
    .join('\n');
}

const messageText = (message: Message | undefined) => (message ? partsText(message.parts) : '');

function artifactsText(task: Task): string {
  return (task.artifacts ?? []).map((artifact) => partsText(artifact.parts)).join('\n\n');
}

const text = (value: string) => [{ type: 'text' as const, text: value }];

const FAILED = new Set(['TASK_STATE_FAILED', 'TASK_STATE_REJECTED']);
const WAITING = new Set(['TASK_STATE_INPUT_REQUIRED', 'TASK_STATE_AUTH_REQUIRED']);

/**
 * A send tool's answer: the agent's output when it completed; an error naming the state and
 * the agent's message when it failed or rejected; when it waits for input, the task id to
 * continue with.
 */
export function sendResult(outcome: SendMessageResponse, tool: string): CallToolResult {
  if (outcome.message) {
    return { content: text(messageText(outcome.message)), structuredContent: { ...outcome } };
  }
  const task = outcome.task!;
  const { state } = task.status;
  const said = messageText(task.status.message);
  const output = artifactsText(task);
  const structuredContent = { task };
  if (state === 'TASK_STATE_COMPLETED') {
    const body = [output, said].filter((part) => part !== '').join('\n\n');
    return {
      content: text(body || `Task ${task.id} completed without output.`),
      structuredContent,
    };
  }
  if (FAILED.has(state)) {
    const why = said || 'the agent gave no reason';
    return {
      isError: true,
      content: text(`Task ${task.id} ${stateName(state)}: ${why}${output ? `\n\n${output}` : ''}`),
      structuredContent,
    };
  }
  if (WAITING.has(state)) {
    return {
      content: text(
        `Task ${task.id} is ${stateName(state)}${said ? `: ${said}` : '.'}\n` +
          `To continue it, call ${tool} again with taskId "${task.id}".`,
      ),
      structuredContent,
    };
  }
  if (state === 'TASK_STATE_CANCELED') {
    return {
      content: text(`Task ${task.id} was canceled${said ? `: ${said}` : '.'}`),
      structuredContent,
    };
  }
  return {
    content: text(
      `Task ${task.id} is still ${stateName(state)}. Follow it with get_task ` +
        `(taskId "${task.id}") or stop it with cancel_task.`,
    ),
    structuredContent,
  };
}

/** get_task and cancel_task: where the task stands, and its output so far. */
export function taskResult(task: Task): CallToolResult {
  const said = messageText(task.status.message);
  const output = artifactsText(task);
  const lines = [
    `Task ${task.id}${task.contextId ? ` (context ${task.contextId})` : ''} is ${stateName(task.status.state)}${said ? `: ${said}` : '.'}`,
    ...(output ? ['', output] : []),
  ];
  return { content: text(lines.join('\n')), structuredContent: { ...task } };
}

export function listResult(page: ListTasksResponse): CallToolResult {
  const lines = page.tasks.map((task) =>
    `${task.id}  ${stateName(task.status.state)}  context ${task.contextId ?? '-'}  ${task.status.timestamp ?? ''}`.trimEnd(),
  );
  const footer = page.nextPageToken
    ? `${page.tasks.length} of ${page.totalSize} tasks; next page: pageToken "${page.nextPageToken}"`
    : `${page.totalSize} task${page.totalSize === 1 ? '' : 's'}`;
  return { content: text([...lines, footer].join('\n')), structuredContent: { ...page } };
}

export function auditResult(taskId: string, events: readonly AuditEntry[]): CallToolResult {
  const lines = events.map((event) => {
    const state = (event.data as { status?: { state?: string } } | undefined)?.status?.state;
    return [
      `#${event.version}`,
      event.timestamp,
      event.type,
      ...(state ? [stateName(state)] : []),
      ...(event.principal ? [`by ${event.principal}`] : []),
    ].join('  ');
  });
  return {
    content: text([`Task ${taskId}: ${events.length} events`, ...lines].join('\n')),
    structuredContent: { taskId, events: [...events] },
  };
}

/** A refused or failed call, as the A2A error that said why. */
export function errorResult(error: JsonRpcError): CallToolResult {
  return {
    isError: true,
    content: text(error.message),
    structuredContent: { error: { ...error } },
  };
}

/** Arguments a tool cannot take; the model can correct them and call again. */
export function invalidArguments(tool: string, problem: string): CallToolResult {
  return { isError: true, content: text(`invalid arguments for ${tool}: ${problem}`) };
}
