import type {
  Artifact,
  SendMessageRequest,
  StreamResponse,
  Task,
  TaskArtifactUpdateEvent,
  TaskStatus,
  TaskStatusUpdateEvent,
} from '../index.js';
import { prune } from './objects.js';
import type {
  V03Artifact,
  V03MessageSendParams,
  V03StreamEvent,
  V03Task,
  V03TaskArtifactUpdateEvent,
  V03TaskStatus,
  V03TaskStatusUpdateEvent,
} from './schemas.js';
import { messageFromV03, messageToV03, partFromV03, taskStateFromV03 } from './translate.js';

// The other direction of translate.ts, for a gateway that is the client: requests to an
// upstream agent that speaks v0.3 go out as v0.3, and its v0.3 results come back as v1.0.
// Pure: no I/O, no clock. A v0.3 `unknown` state maps to v1.0's unspecified one, which no v1.0
// TaskStatus may carry: validate the result (TaskSchema, StreamResponseSchema) to catch it.

/** A v1.0 `SendMessage` request as v0.3 `message/send` (or `message/stream`) params. */
export function sendMessageToV03(request: SendMessageRequest): V03MessageSendParams {
  const config = request.configuration;
  return prune({
    message: messageToV03(request.message),
    configuration:
      config &&
      prune({
        acceptedOutputModes: config.acceptedOutputModes,
        historyLength: config.historyLength,
        // v0.3 blocks unless told not to; v1.0 unless `returnImmediately` (§3.2.2).
        blocking: !(config.returnImmediately ?? false),
      }),
    metadata: request.metadata,
  });
}

export function taskStatusFromV03(status: V03TaskStatus): TaskStatus {
  return prune({
    state: taskStateFromV03(status.state) as TaskStatus['state'],
    message: status.message && messageFromV03(status.message),
    timestamp: status.timestamp,
  });
}

export function artifactFromV03(artifact: V03Artifact): Artifact {
  return prune({
    artifactId: artifact.artifactId,
    name: artifact.name,
    description: artifact.description,
    parts: artifact.parts.map(partFromV03),
    metadata: artifact.metadata,
    extensions: artifact.extensions,
  });
}

export function taskFromV03(task: V03Task): Task {
  return prune({
    id: task.id,
    // Required in v0.3, where a server without contexts may send it empty.
    contextId: task.contextId || undefined,
    status: taskStatusFromV03(task.status),
    artifacts: task.artifacts?.map(artifactFromV03),
    history: task.history?.map(messageFromV03),
    metadata: task.metadata,
  });
}

export function statusUpdateFromV03(event: V03TaskStatusUpdateEvent): TaskStatusUpdateEvent {
  // `final` has no v1.0 field: the state says whether the stream ends.
  return prune({
    taskId: event.taskId,
    contextId: event.contextId,
    status: taskStatusFromV03(event.status),
    metadata: event.metadata,
  });
}

export function artifactUpdateFromV03(event: V03TaskArtifactUpdateEvent): TaskArtifactUpdateEvent {
  return prune({
    taskId: event.taskId,
    contextId: event.contextId,
    artifact: artifactFromV03(event.artifact),
    append: event.append,
    lastChunk: event.lastChunk,
    metadata: event.metadata,
  });
}

/** One v0.3 `message/send` result or stream event, told apart by `kind`, as v1.0's wrapper. */
export function streamEventFromV03(event: V03StreamEvent): StreamResponse {
  switch (event.kind) {
    case 'task':
      return { task: taskFromV03(event) };
    case 'message':
      return { message: messageFromV03(event) };
    case 'status-update':
      return { statusUpdate: statusUpdateFromV03(event) };
    case 'artifact-update':
      return { artifactUpdate: artifactUpdateFromV03(event) };
    default: {
      const unknown: never = event;
      throw new TypeError(`Unhandled v0.3 event: ${JSON.stringify(unknown)}`);
    }
  }
}
