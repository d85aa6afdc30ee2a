import type { z } from 'zod';
import type {
  A2aMethod,
  AgentCard,
  Artifact,
  JsonValueSchema,
  ListTaskPushNotificationConfigsResponse,
  Message,
  Part,
  SendMessageConfiguration,
  SendMessageRequest,
  StreamResponse,
  StructSchema,
  Task,
  TaskArtifactUpdateEvent,
  TaskPushNotificationConfig,
  TaskState,
  TaskStatus,
  TaskStatusUpdateEvent,
} from '../index.js';
import { cardToV03, jsonRpcUrlOf } from './card.js';
import { prune } from './objects.js';
import {
  type V03Artifact,
  V03DeleteTaskPushNotificationConfigParamsSchema,
  V03GetTaskPushNotificationConfigParamsSchema,
  V03ListTaskPushNotificationConfigParamsSchema,
  type V03Message,
  type V03MessageSendConfiguration,
  type V03MessageSendParams,
  V03MessageSendParamsSchema,
  type V03Part,
  type V03PushNotificationConfig,
  type V03StreamEvent,
  type V03Task,
  type V03TaskArtifactUpdateEvent,
  V03TaskIdParamsSchema,
  type V03TaskPushNotificationConfig,
  V03TaskPushNotificationConfigSchema,
  V03TaskQueryParamsSchema,
  type V03TaskState,
  type V03TaskStatus,
  type V03TaskStatusUpdateEvent,
} from './schemas.js';

// A2A v0.3 <-> v1.0 at the JSON-RPC edge (whats-new-v1.md). Requests are validated as v0.3
// and rebuilt as v1.0 params; v1.0 results are rebuilt as v0.3. Pure: no I/O, no clock.

type JsonValue = z.infer<typeof JsonValueSchema>;
type Struct = z.infer<typeof StructSchema>;

/** v0.3 JSON-RPC method to the v1.0 method it became; v0.3 has no `ListTasks`. */
export const V03_METHOD_TO_V1 = {
  'message/send': 'SendMessage',
  'message/stream': 'SendStreamingMessage',
  'tasks/get': 'GetTask',
  'tasks/cancel': 'CancelTask',
  'tasks/resubscribe': 'SubscribeToTask',
  'tasks/pushNotificationConfig/set': 'CreateTaskPushNotificationConfig',
  'tasks/pushNotificationConfig/get': 'GetTaskPushNotificationConfig',
  'tasks/pushNotificationConfig/list': 'ListTaskPushNotificationConfigs',
  'tasks/pushNotificationConfig/delete': 'DeleteTaskPushNotificationConfig',
  'agent/getAuthenticatedExtendedCard': 'GetExtendedAgentCard',
} as const satisfies Readonly<Record<string, A2aMethod>>;
export type V03Method = keyof typeof V03_METHOD_TO_V1;
/** The v1.0 methods a v0.3 request can reach. */
export type V03TargetMethod = (typeof V03_METHOD_TO_V1)[V03Method];

/** Own keys only: a method named `toString` must not find `Object.prototype`'s. */
export function isV03Method(method: string): method is V03Method {
  return Object.hasOwn(V03_METHOD_TO_V1, method);
}

export type V03ParamsResult =
  | { ok: true; params: unknown }
  | { ok: false; issues: { path: string; message: string }[] };

/**
 * Validates v0.3 `params` and rebuilds them as the v1.0 params of `v1Method`, which the
 * binding then validates as any v1.0 request. Issues carry v0.3 paths (`message.parts[0].kind`).
 *
 * @example
 * paramsFromV03('GetTask', { id: 't-1', metadata: {} }); // { ok: true, params: { id: 't-1' } }
 * paramsFromV03('GetTask', {}); // { ok: false, issues: [{ path: 'id', message: '…' }] }
 */
export function paramsFromV03(v1Method: V03TargetMethod, params: unknown): V03ParamsResult {
  switch (v1Method) {
    case 'SendMessage':
    case 'SendStreamingMessage':
      return rebuild(V03MessageSendParamsSchema, params, sendMessageFromV03);
    case 'GetTask':
      // v1.0 `GetTaskRequest` has no metadata; v0.3's is dropped.
      return rebuild(V03TaskQueryParamsSchema, params, (p) =>
        prune({ id: p.id, historyLength: p.historyLength }),
      );
    case 'CancelTask':
      return rebuild(V03TaskIdParamsSchema, params, (p) =>
        prune({ id: p.id, metadata: p.metadata }),
      );
    case 'SubscribeToTask':
      return rebuild(V03TaskIdParamsSchema, params, (p) => ({ id: p.id }));
    case 'CreateTaskPushNotificationConfig':
      return rebuild(V03TaskPushNotificationConfigSchema, params, (p) =>
        pushConfigFromV03(p.pushNotificationConfig, p.taskId),
      );
    case 'GetTaskPushNotificationConfig':
      // Without a config id, v0.3 servers answer with the task's default config, keyed by the task.
      return rebuild(V03GetTaskPushNotificationConfigParamsSchema, params, (p) => ({
        taskId: p.id,
        id: p.pushNotificationConfigId ?? p.id,
      }));
    case 'ListTaskPushNotificationConfigs':
      return rebuild(V03ListTaskPushNotificationConfigParamsSchema, params, (p) => ({
        taskId: p.id,
      }));
    case 'DeleteTaskPushNotificationConfig':
      return rebuild(V03DeleteTaskPushNotificationConfigParamsSchema, params, (p) => ({
        taskId: p.id,
        id: p.pushNotificationConfigId,
      }));
    case 'GetExtendedAgentCard':
      // v0.3 defines no params for `agent/getAuthenticatedExtendedCard`; whatever came is ignored.
      return { ok: true, params: {} };
    default:
      return unreachable(v1Method);
  }
}

/**
 * Rebuilds the v1.0 result of `v1Method` as its v0.3 result. `result` must be valid v1.0;
 * `jsonRpcUrl` names the card's endpoint and defaults to the card's JSON-RPC interface.
 */
export function resultToV03(
  v1Method: V03TargetMethod,
  result: unknown,
  jsonRpcUrl?: string,
): unknown {
  switch (v1Method) {
    // `SendMessageResponse` is the task-or-message half of `StreamResponse`.
    case 'SendMessage':
    case 'SendStreamingMessage':
    case 'SubscribeToTask':
      return streamResponseToV03(result as StreamResponse);
    case 'GetTask':
    case 'CancelTask':
      return taskToV03(result as Task);
    case 'CreateTaskPushNotificationConfig':
    case 'GetTaskPushNotificationConfig':
      return pushConfigToV03(result as TaskPushNotificationConfig);
    case 'ListTaskPushNotificationConfigs':
      // v0.3 lists without paging: the result is the bare array of this page.
      return ((result as ListTaskPushNotificationConfigsResponse).configs ?? []).map(
        pushConfigToV03,
      );
    case 'DeleteTaskPushNotificationConfig':
      return null;
    case 'GetExtendedAgentCard': {
      const card = result as AgentCard;
      return cardToV03(card, jsonRpcUrl ?? jsonRpcUrlOf(card));
    }
    default:
      return unreachable(v1Method);
  }
}

/** One v1.0 stream event as the bare v0.3 event: `kind` says which, not the member name. */
export function streamResponseToV03(response: StreamResponse): V03StreamEvent {
  if (response.task) return taskToV03(response.task);
  if (response.message) return messageToV03(response.message);
  if (response.statusUpdate) return statusUpdateToV03(response.statusUpdate);
  if (response.artifactUpdate) return artifactUpdateToV03(response.artifactUpdate);
  throw new TypeError('StreamResponse carries none of task, message, statusUpdate, artifactUpdate');
}

// ---- Requests: v0.3 to v1.0 ----

function sendMessageFromV03(params: V03MessageSendParams): SendMessageRequest {
  return prune({
    message: messageFromV03(params.message),
    configuration: params.configuration && configurationFromV03(params.configuration),
    metadata: params.metadata,
  });
}

function configurationFromV03(config: V03MessageSendConfiguration): SendMessageConfiguration {
  const push = config.pushNotificationConfig;
  return prune({
    acceptedOutputModes: config.acceptedOutputModes,
    historyLength: config.historyLength,
    taskPushNotificationConfig: push && pushConfigFromV03(push),
    // v0.3 blocks unless `blocking: false`; v1.0 unless `returnImmediately: true` (§3.2.2).
    returnImmediately: !(config.blocking ?? true),
  });
}

/** A v0.3 push config as v1.0's flat one; `taskId` is absent inside `message/send`. */
export function pushConfigFromV03(
  config: V03PushNotificationConfig,
  taskId?: string,
): TaskPushNotificationConfig {
  const auth = config.authentication;
  return prune({
    taskId,
    // v0.3 servers key a config sent without an id by its task, which `get` without a
    // config id relies on; inside `message/send` the task is not known yet.
    id: config.id ?? taskId,
    url: config.url,
    token: config.token,
    // Any listed scheme satisfies the webhook, and v1.0 carries one; the schema ensures one.
    authentication: auth && prune({ scheme: auth.schemes[0]!, credentials: auth.credentials }),
  });
}

export function messageFromV03(message: V03Message): Message {
  return prune({
    messageId: message.messageId,
    contextId: message.contextId,
    taskId: message.taskId,
    role: message.role === 'user' ? 'ROLE_USER' : 'ROLE_AGENT',
    parts: message.parts.map(partFromV03),
    metadata: message.metadata,
    extensions: message.extensions,
    referenceTaskIds: message.referenceTaskIds,
  });
}

export function partFromV03(part: V03Part): Part {
  switch (part.kind) {
    case 'text':
      return prune({ text: part.text, metadata: part.metadata });
    case 'file':
      // The schema lets exactly one of `bytes` and `uri` through.
      return prune({
        raw: part.file.bytes,
        url: part.file.uri,
        filename: part.file.name,
        mediaType: part.file.mimeType,
        metadata: part.metadata,
      });
    case 'data':
      return dataPartFromV03(part.data, part.metadata);
    default:
      return unreachable(part);
  }
}

// v0.3 `data` must be an object, v1.0's may be any JSON value. @a2a-js/sdk sends a non-object
// as `{ value }` and flags it in metadata; we do the same so either side round-trips exactly.
const WRAPPED_DATA_FLAG = 'data_part_compat';

function dataPartFromV03(data: Struct, metadata: Struct | undefined): Part {
  if (metadata?.[WRAPPED_DATA_FLAG] !== true || data.value === undefined) {
    return prune({ data, metadata });
  }
  const { [WRAPPED_DATA_FLAG]: _flag, ...rest } = metadata;
  return prune({ data: data.value, metadata: Object.keys(rest).length > 0 ? rest : undefined });
}

// ---- Results: v1.0 to v0.3 ----

const STATE_TO_V03 = {
  TASK_STATE_UNSPECIFIED: 'unknown',
  TASK_STATE_SUBMITTED: 'submitted',
  TASK_STATE_WORKING: 'working',
  TASK_STATE_COMPLETED: 'completed',
  TASK_STATE_FAILED: 'failed',
  TASK_STATE_CANCELED: 'canceled',
  TASK_STATE_INPUT_REQUIRED: 'input-required',
  TASK_STATE_REJECTED: 'rejected',
  TASK_STATE_AUTH_REQUIRED: 'auth-required',
} as const satisfies Record<TaskState, V03TaskState>;

const STATE_FROM_V03 = Object.fromEntries(
  Object.entries(STATE_TO_V03).map(([v1, v03]) => [v03, v1]),
) as Record<V03TaskState, TaskState>;

export function taskStateToV03(state: TaskState): V03TaskState {
  return STATE_TO_V03[state];
}

export function taskStateFromV03(state: V03TaskState): TaskState {
  return STATE_FROM_V03[state];
}

// `final` is true where a stream closes: on a terminal or an interrupted state (§11.7), when
// the client must act. @a2a-js/sdk marks terminal states only.
const FINAL_STATES: ReadonlySet<TaskState> = new Set([
  'TASK_STATE_COMPLETED',
  'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED',
  'TASK_STATE_REJECTED',
  'TASK_STATE_INPUT_REQUIRED',
  'TASK_STATE_AUTH_REQUIRED',
]);

export function partToV03(part: Part): V03Part {
  if (part.text !== undefined)
    return prune({ kind: 'text', text: part.text, metadata: part.metadata });
  if (part.raw !== undefined || part.url !== undefined) {
    // v0.3 has no name or media type on text and data parts, so only files keep them.
    const content = part.raw !== undefined ? { bytes: part.raw } : { uri: part.url };
    const file = prune({ ...content, name: part.filename, mimeType: part.mediaType });
    return prune({ kind: 'file', file, metadata: part.metadata });
  }
  return dataPartToV03(part.data ?? null, part.metadata);
}

function dataPartToV03(data: JsonValue, metadata: Struct | undefined): V03Part {
  if (isJsonObject(data)) return prune({ kind: 'data', data, metadata });
  return {
    kind: 'data',
    data: { value: data },
    metadata: { ...metadata, [WRAPPED_DATA_FLAG]: true },
  };
}

export function messageToV03(message: Message): V03Message {
  return prune({
    kind: 'message',
    messageId: message.messageId,
    contextId: message.contextId,
    taskId: message.taskId,
    role: message.role === 'ROLE_USER' ? 'user' : 'agent',
    parts: message.parts.map(partToV03),
    metadata: message.metadata,
    extensions: message.extensions,
    referenceTaskIds: message.referenceTaskIds,
  });
}

export function taskStatusToV03(status: TaskStatus): V03TaskStatus {
  return prune({
    state: STATE_TO_V03[status.state],
    message: status.message && messageToV03(status.message),
    timestamp: status.timestamp,
  });
}

export function artifactToV03(artifact: Artifact): V03Artifact {
  return prune({
    artifactId: artifact.artifactId,
    name: artifact.name,
    description: artifact.description,
    parts: artifact.parts.map(partToV03),
    metadata: artifact.metadata,
    extensions: artifact.extensions,
  });
}

export function taskToV03(task: Task): V03Task {
  return prune({
    kind: 'task',
    id: task.id,
    // Required in v0.3, optional in v1.0 though every task the server makes has one.
    contextId: task.contextId ?? '',
    status: taskStatusToV03(task.status),
    artifacts: task.artifacts?.map(artifactToV03),
    history: task.history?.map(messageToV03),
    metadata: task.metadata,
  });
}

export function statusUpdateToV03(event: TaskStatusUpdateEvent): V03TaskStatusUpdateEvent {
  return prune({
    kind: 'status-update',
    taskId: event.taskId,
    contextId: event.contextId,
    status: taskStatusToV03(event.status),
    final: FINAL_STATES.has(event.status.state),
    metadata: event.metadata,
  });
}

export function artifactUpdateToV03(event: TaskArtifactUpdateEvent): V03TaskArtifactUpdateEvent {
  return prune({
    kind: 'artifact-update',
    taskId: event.taskId,
    contextId: event.contextId,
    artifact: artifactToV03(event.artifact),
    append: event.append,
    lastChunk: event.lastChunk,
    metadata: event.metadata,
  });
}

export function pushConfigToV03(config: TaskPushNotificationConfig): V03TaskPushNotificationConfig {
  const auth = config.authentication;
  return {
    taskId: config.taskId ?? '',
    pushNotificationConfig: prune({
      id: config.id,
      url: config.url,
      token: config.token,
      authentication: auth && prune({ schemes: [auth.scheme], credentials: auth.credentials }),
    }),
  };
}

// ---- Helpers ----

function isJsonObject(value: JsonValue): value is Struct {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unreachable(value: never): never {
  throw new TypeError(`Unhandled case: ${JSON.stringify(value)}`);
}

function rebuild<S extends z.ZodType, R>(
  schema: S,
  params: unknown,
  toV1: (parsed: z.output<S>) => R,
): V03ParamsResult {
  const parsed = schema.safeParse(params);
  if (parsed.success) return { ok: true, params: toV1(parsed.data) };
  const issues = parsed.error.issues.map((issue) => ({
    path: dottedPath(issue.path),
    message: issue.message,
  }));
  return { ok: false, issues };
}

/** `['message', 'parts', 0, 'kind']` as `message.parts[0].kind`. */
function dottedPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}
