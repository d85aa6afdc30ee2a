import { z } from 'zod';

/**
 * The tools' arguments. Strict: a misspelt argument is named in the error instead of being
 * ignored. Limits on text and ids are the A2A params schemas' (the binding applies them).
 */

const tenant = z
  .string()
  .min(1)
  .optional()
  .describe(
    'The tenant to act in. Default: the tenant your credentials are bound to (the default tenant when none).',
  );

const taskId = z.string().min(1);

export const SendInput = z.strictObject({
  text: z.string().describe('The message for the agent.'),
  data: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Structured data sent with the text, as a JSON data part.'),
  contextId: z
    .string()
    .min(1)
    .optional()
    .describe('Continue a conversation: the contextId of an earlier task.'),
  taskId: taskId
    .optional()
    .describe('Continue a task that asked for input (input-required): its id.'),
  tenant,
});
export type SendInput = z.infer<typeof SendInput>;

export const GetTaskInput = z.strictObject({
  taskId: taskId.describe('The task id.'),
  historyLength: z
    .int()
    .min(0)
    .optional()
    .describe('How many of the latest messages to include (0: none; default: all).'),
  tenant,
});

/** States by their short names, or as A2A spells them (`TASK_STATE_COMPLETED`). */
const STATES = [
  'submitted',
  'working',
  'input-required',
  'auth-required',
  'completed',
  'canceled',
  'failed',
  'rejected',
] as const;
const stateValues = [
  ...STATES,
  ...STATES.map((state) => `TASK_STATE_${state.toUpperCase().replaceAll('-', '_')}`),
] as [string, ...string[]];

/** `input-required` or `TASK_STATE_INPUT_REQUIRED` → `TASK_STATE_INPUT_REQUIRED`. */
export function a2aState(state: string): string {
  return state.startsWith('TASK_STATE_')
    ? state
    : `TASK_STATE_${state.toUpperCase().replaceAll('-', '_')}`;
}

export const ListTasksInput = z.strictObject({
  contextId: z.string().min(1).optional().describe('Only the tasks of this context.'),
  state: z.enum(stateValues).optional().describe('Only the tasks in this state.'),
  pageSize: z.int().min(1).max(100).optional().describe('Tasks per page (default 50).'),
  pageToken: z.string().min(1).optional().describe('The nextPageToken of the previous page.'),
  tenant,
});

export const TaskIdInput = z.strictObject({ taskId: taskId.describe('The task id.'), tenant });

/** The JSON Schema a tool publishes for its arguments. */
export function inputSchema(schema: z.ZodType): { type: 'object'; [key: string]: unknown } {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return { ...json, type: 'object' };
}

/** The first problem with a tool's arguments, said with the argument it concerns. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}
