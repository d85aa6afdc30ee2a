import { z } from 'zod';
import type { EventRegistry } from '../events/index.js';
import {
  ArtifactSchema,
  AuthenticationInfoSchema,
  MessageSchema,
  StructSchema,
  TaskStatusSchema,
} from '../protocol/index.js';

/**
 * The events of one task's stream (`task-<id>`). Payloads reuse the A2A data model so a
 * task's state is a fold of its events and nothing is translated twice. Tenant, principal
 * and correlation travel in the envelope, not here.
 */
export const TaskSubmittedSchema = z.object({
  taskId: z.string().min(1),
  contextId: z.string().min(1),
  /** Name of the hosted agent (agent card) that runs the task. */
  agent: z.string().min(1),
  message: MessageSchema,
  metadata: StructSchema.optional(),
});

/** A follow-up user message on a task that is not terminal (§3.4 multi-turn). */
export const TaskMessageReceivedSchema = z.object({ message: MessageSchema });

/**
 * The saga claimed the task for one run of its executor. Appended with the version the saga
 * saw, so of several instances racing for a task exactly one wins.
 */
export const TaskExecutionStartedSchema = z.object({
  attempt: z.int().positive(),
  executor: z.string().min(1),
  instance: z.string().min(1),
  /** True when the run resumes a task a previous process left unfinished. */
  resumed: z.boolean(),
});

export const TaskStatusChangedSchema = z.object({ status: TaskStatusSchema });

export const TaskArtifactAppendedSchema = z.object({
  artifact: ArtifactSchema,
  append: z.boolean(),
  lastChunk: z.boolean(),
});

/**
 * The run handed the task to an upstream A2A agent: which agent, which card it published then,
 * and the upstream's ids for the task. The audit shows the whole conversation on our ids; a
 * resumed run finds the upstream task again instead of sending the message twice.
 */
export const TaskDelegatedSchema = z.object({
  /** The upstream agent's card URL. */
  cardUrl: z.string().min(1),
  /** The upstream card's `version` and a digest of what it said when the task was sent. */
  cardVersion: z.string().optional(),
  cardDigest: z.string().optional(),
  /** The A2A version spoken to the upstream (`1.0`, `0.3`). */
  protocolVersion: z.string().min(1),
  /** The upstream's ids for this task. */
  remoteTaskId: z.string().min(1),
  remoteContextId: z.string().optional(),
});
export type Delegation = z.infer<typeof TaskDelegatedSchema>;

/**
 * A webhook for the task's updates (§3.1.7, §4.3.1), as the client gave it, with the id the
 * server settled (the client's, or one it assigned). The task and tenant are the stream's.
 */
export const PushConfigSchema = z.object({
  id: z.string().min(1),
  url: z.string().min(1),
  token: z.string().optional(),
  authentication: AuthenticationInfoSchema.optional(),
});
export type PushConfig = z.infer<typeof PushConfigSchema>;

/** A webhook set for the task: a new id adds one, a known id replaces it. */
export const TaskPushConfigSetSchema = z.object({ config: PushConfigSchema });

/** A webhook removed (§3.1.10): nothing more goes to it. */
export const TaskPushConfigDeletedSchema = z.object({ id: z.string().min(1) });

/** The agent answered with a Message instead of working on a task (§3.1.1). */
export const TaskRepliedSchema = z.object({ message: MessageSchema });

/**
 * Personal data in a part: its content (text, bytes, a URL, structured data), its file name
 * and its metadata. The media type stays: it says what kind of content was there.
 */
const PART_PII = ['text', 'raw', 'url', 'data', 'filename', 'metadata'];

/** A message's personal data: each part's, and the message's metadata (ids and role stay). */
function messagePii(at: string): string[] {
  return [...PART_PII.map((field) => `${at}.parts[*].${field}`), `${at}.metadata`];
}

/**
 * Which fields of each task event hold personal data (see events/sensitive.ts): what clients
 * and agents said (message and artifact parts, metadata). Ids, states, times, agent names,
 * executor claims and delegations are the audit skeleton and stay readable. A webhook's token
 * and credentials are secrets, not personal data: the audit hides them (audit.ts).
 */
export const TASK_SENSITIVE_PATHS = {
  'task.submitted': [...messagePii('message'), 'metadata'],
  'task.message_received': messagePii('message'),
  'task.replied': messagePii('message'),
  'task.status_changed': messagePii('status.message'),
  'task.artifact_appended': [
    ...PART_PII.map((field) => `artifact.parts[*].${field}`),
    'artifact.metadata',
  ],
} as const satisfies Record<string, readonly string[]>;

/** The same personal data in a task's folded state (TaskAggregate): what read models copy. */
export const TASK_STATE_SENSITIVE_PATHS: readonly string[] = [
  ...messagePii('history[*]'),
  ...messagePii('reply'),
  ...messagePii('status.message'),
  ...PART_PII.map((field) => `artifacts[*].parts[*].${field}`),
  'artifacts[*].metadata',
  'metadata',
];

export const TASK_EVENT_TYPES = {
  submitted: 'task.submitted',
  messageReceived: 'task.message_received',
  executionStarted: 'task.execution_started',
  statusChanged: 'task.status_changed',
  artifactAppended: 'task.artifact_appended',
  replied: 'task.replied',
  delegated: 'task.delegated',
  pushConfigSet: 'task.push_config_set',
  pushConfigDeleted: 'task.push_config_deleted',
} as const;

export type TaskEvent =
  | { type: 'task.submitted'; data: z.infer<typeof TaskSubmittedSchema> }
  | { type: 'task.message_received'; data: z.infer<typeof TaskMessageReceivedSchema> }
  | { type: 'task.execution_started'; data: z.infer<typeof TaskExecutionStartedSchema> }
  | { type: 'task.status_changed'; data: z.infer<typeof TaskStatusChangedSchema> }
  | { type: 'task.artifact_appended'; data: z.infer<typeof TaskArtifactAppendedSchema> }
  | { type: 'task.replied'; data: z.infer<typeof TaskRepliedSchema> }
  | { type: 'task.delegated'; data: Delegation }
  | { type: 'task.push_config_set'; data: z.infer<typeof TaskPushConfigSetSchema> }
  | { type: 'task.push_config_deleted'; data: z.infer<typeof TaskPushConfigDeletedSchema> };

export function registerTaskEvents(registry: EventRegistry): EventRegistry {
  return registry
    .register({
      type: TASK_EVENT_TYPES.submitted,
      version: 1,
      schema: TaskSubmittedSchema,
      sensitive: TASK_SENSITIVE_PATHS['task.submitted'],
    })
    .register({
      type: TASK_EVENT_TYPES.messageReceived,
      version: 1,
      schema: TaskMessageReceivedSchema,
      sensitive: TASK_SENSITIVE_PATHS['task.message_received'],
    })
    .register({
      type: TASK_EVENT_TYPES.executionStarted,
      version: 1,
      schema: TaskExecutionStartedSchema,
    })
    .register({
      type: TASK_EVENT_TYPES.statusChanged,
      version: 1,
      schema: TaskStatusChangedSchema,
      sensitive: TASK_SENSITIVE_PATHS['task.status_changed'],
    })
    .register({
      type: TASK_EVENT_TYPES.artifactAppended,
      version: 1,
      schema: TaskArtifactAppendedSchema,
      sensitive: TASK_SENSITIVE_PATHS['task.artifact_appended'],
    })
    .register({
      type: TASK_EVENT_TYPES.replied,
      version: 1,
      schema: TaskRepliedSchema,
      sensitive: TASK_SENSITIVE_PATHS['task.replied'],
    })
    .register({ type: TASK_EVENT_TYPES.delegated, version: 1, schema: TaskDelegatedSchema })
    .register({
      type: TASK_EVENT_TYPES.pushConfigSet,
      version: 1,
      schema: TaskPushConfigSetSchema,
    })
    .register({
      type: TASK_EVENT_TYPES.pushConfigDeleted,
      version: 1,
      schema: TaskPushConfigDeletedSchema,
    });
}

export function taskStreamId(taskId: string): string {
  return `task-${taskId}`;
}

export function isTaskEventType(type: string): type is TaskEvent['type'] {
  return type.startsWith('task.');
}
