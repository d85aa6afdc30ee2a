import {
  type CallToolResult,
  ErrorCode,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { HostedAgent } from '../a2a/index.js';
import type { Logger } from '../observability/index.js';
import type { ListTasksResponse, Task } from '../protocol/index.js';
import type { EventStore } from '../store/index.js';
import { type A2aCall, A2aCallError, type A2aCalls } from './a2a-calls.js';
import { readAuditTimeline } from './audit-timeline.js';
import { sendToAgent, type ToolCall } from './send-tool.js';
import {
  a2aState,
  describeIssue,
  GetTaskInput,
  inputSchema,
  ListTasksInput,
  SendInput,
  TaskIdInput,
} from './tool-inputs.js';
import {
  auditResult,
  errorResult,
  invalidArguments,
  listResult,
  taskResult,
} from './tool-results.js';

export interface ToolDependencies {
  agents: readonly HostedAgent[];
  a2a: A2aCalls;
  /** Where the audit timelines are read from. */
  store: EventStore;
  logger: Logger;
}

/** `send_to_<agent>`: agent names are lower-case letters, digits and dashes, so no two collide. */
export function toolNameOf(agent: HostedAgent): string {
  return `send_to_${agent.name.replaceAll('-', '_')}`;
}

const TASK_TOOLS: Tool[] = [
  {
    name: 'get_task',
    title: 'Get an A2A task',
    description:
      "A task's state, its output (artifacts) and its messages, as A2A GetTask answers it. Needs the scope a2a:read.",
    inputSchema: inputSchema(GetTaskInput),
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'list_tasks',
    title: 'List A2A tasks',
    description:
      'Your tenant\'s tasks, newest first, without their messages or artifacts (get_task has them), as A2A ListTasks answers it. Filter by contextId or state ("working", "input-required", "completed", …). Needs the scope a2a:read.',
    inputSchema: inputSchema(ListTasksInput),
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: 'cancel_task',
    title: 'Cancel an A2A task',
    description:
      'Stops a task that has not ended yet and answers it as canceled. Needs the scope a2a:cancel.',
    inputSchema: inputSchema(TaskIdInput),
    annotations: {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
    },
  },
  {
    name: 'get_task_audit',
    title: "An A2A task's audit trail",
    description:
      "Every event of a task in order (submitted, started, status changes, artifacts), with when, who (principal) and its correlation id: the gateway's audit trail, as GET /tasks/{id}/events answers it. Needs the scope a2a:read.",
    inputSchema: inputSchema(TaskIdInput),
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
];

/**
 * The tools as they stand now: a send tool per hosted agent, described from its current
 * card, then the task tools. An agent whose card is not known yet (its MCP server or upstream
 * not reached) is listed all the same, saying so: hosts read the list once, and the agent
 * may answer a moment later; a call meanwhile says why it cannot be made.
 */
export function listTools(agents: readonly HostedAgent[]): Tool[] {
  return [
    ...agents.map((agent) => ({
      name: toolNameOf(agent),
      title: `Ask ${agent.card.name}`,
      description: describeAgent(agent),
      inputSchema: inputSchema(SendInput),
      annotations: { readOnlyHint: false, openWorldHint: true },
    })),
    ...TASK_TOOLS,
  ];
}

function describeAgent(agent: HostedAgent): string {
  const { card } = agent;
  const skills = card.skills.map((skill) => {
    const examples = skill.examples?.length
      ? ` Examples: ${skill.examples.map((example) => JSON.stringify(example)).join(', ')}.`
      : '';
    return `- ${skill.name}: ${skill.description}${examples}`;
  });
  const scopes = ['a2a:send', ...agent.requiredScopes];
  return [
    `Sends a message to the A2A agent "${card.name}" and returns the task's result (its output, or why it failed).`,
    card.description,
    ...(skills.length > 0 ? ['Skills:', ...skills] : []),
    'When the task asks for input (input-required), call this tool again with its taskId to continue; pass contextId to keep a conversation together.',
    `Needs the scope${scopes.length > 1 ? 's' : ''} ${scopes.join(', ')}.`,
    ...(agent.unavailable ? [`Unavailable right now: ${agent.unavailable}.`] : []),
  ].join('\n');
}

/**
 * Runs a tool for one call. Bad arguments and refusals are tool errors (`isError`) the model
 * can read and act on; only an unknown tool is a protocol error.
 */
export async function callTool(
  deps: ToolDependencies,
  name: string,
  args: unknown,
  call: ToolCall,
): Promise<CallToolResult> {
  const { agents, a2a, store, logger } = deps;
  // Task methods are answered the same at every agent's endpoint: the default one's, as A2A's
  // root endpoint (`POST /`) does.
  const fallback = agents.find((agent) => agent.isDefault) ?? agents[0]!;
  const as: A2aCall = {
    agent: fallback,
    caller: call.caller,
    correlationId: call.correlationId,
    ...(call.denied ? { denied: call.denied } : {}),
  };
  const parse = <S extends z.ZodType>(schema: S): z.output<S> => {
    const parsed = schema.safeParse(args ?? {});
    if (!parsed.success) throw new InvalidArguments(describeIssue(parsed.error));
    return parsed.data;
  };
  const tenantOf = (input: { tenant?: string | undefined }) =>
    input.tenant ? { tenant: input.tenant } : {};
  try {
    switch (name) {
      case 'get_task': {
        const input = parse(GetTaskInput);
        const params = {
          id: input.taskId,
          ...(input.historyLength !== undefined ? { historyLength: input.historyLength } : {}),
          ...tenantOf(input),
        };
        return taskResult((await a2a.unary('GetTask', params, as)) as Task);
      }
      case 'list_tasks': {
        const input = parse(ListTasksInput);
        const params = {
          ...(input.contextId ? { contextId: input.contextId } : {}),
          ...(input.state ? { status: a2aState(input.state) } : {}),
          ...(input.pageSize ? { pageSize: input.pageSize } : {}),
          ...(input.pageToken ? { pageToken: input.pageToken } : {}),
          // A page of whole histories would drown the list; get_task shows one task's.
          historyLength: 0,
          ...tenantOf(input),
        };
        return listResult((await a2a.unary('ListTasks', params, as)) as ListTasksResponse);
      }
      case 'cancel_task': {
        const input = parse(TaskIdInput);
        const params = { id: input.taskId, ...tenantOf(input) };
        return taskResult((await a2a.unary('CancelTask', params, as)) as Task);
      }
      case 'get_task_audit': {
        const input = parse(TaskIdInput);
        const events = await readAuditTimeline(
          store,
          call.caller,
          input.taskId,
          input.tenant,
          call.denied,
        );
        return auditResult(input.taskId, events);
      }
      default: {
        const agent = agents.find((candidate) => toolNameOf(candidate) === name);
        if (!agent) throw new McpError(ErrorCode.InvalidParams, `no tool named ${name}`);
        const input = parse(SendInput);
        return await sendToAgent({ a2a, logger }, agent, name, input, call);
      }
    }
  } catch (error) {
    if (error instanceof A2aCallError) return errorResult(error.error);
    if (error instanceof InvalidArguments) return invalidArguments(name, error.message);
    throw error;
  }
}

class InvalidArguments extends Error {}
