import type { Artifact, Message } from '../protocol/index.js';
import type { TaskEvent } from './events.js';
import type { TaskAggregate } from './state.js';

/** An event as `evolve` needs it: its payload plus where and when it was stored. */
export type TaskEventRecord = TaskEvent & {
  timestamp: string;
  streamVersion: number;
  globalPosition: number;
  /** The tenant in the envelope's metadata ('' for the default tenant). */
  tenant: string;
};

/** Folds one event into the task. Pure; `undefined` is the task before its first event. */
export function evolve(task: TaskAggregate | undefined, event: TaskEventRecord): TaskAggregate {
  if (event.type === 'task.submitted') {
    const { data } = event;
    return {
      id: data.taskId,
      tenant: event.tenant,
      contextId: data.contextId,
      agent: data.agent,
      status: { state: 'TASK_STATE_SUBMITTED', timestamp: event.timestamp },
      history: [data.message],
      artifacts: [],
      ...(data.metadata ? { metadata: data.metadata } : {}),
      pendingRun: true,
      attempts: 0,
      version: event.streamVersion,
      position: event.globalPosition,
    };
  }
  if (!task) throw new Error(`${event.type} before task.submitted`);
  const next: TaskAggregate = {
    ...task,
    version: event.streamVersion,
    position: event.globalPosition,
  };

  switch (event.type) {
    case 'task.message_received':
      return {
        ...next,
        history: [...task.history, event.data.message],
        status: { state: 'TASK_STATE_WORKING', timestamp: event.timestamp },
        pendingRun: true,
      };
    case 'task.execution_started':
      return {
        ...next,
        pendingRun: false,
        attempts: event.data.attempt,
        runner: event.data.instance,
      };
    case 'task.status_changed': {
      const { status } = event.data;
      return { ...next, status, history: withMessage(task.history, status.message) };
    }
    case 'task.artifact_appended':
      return {
        ...next,
        artifacts: mergeArtifact(task.artifacts, event.data.artifact, event.data.append),
      };
    case 'task.replied':
      return {
        ...next,
        reply: event.data.message,
        status: { state: 'TASK_STATE_COMPLETED', timestamp: event.timestamp },
        history: withMessage(task.history, event.data.message),
      };
    default: {
      const unknown: never = event;
      throw new Error(`unknown task event ${JSON.stringify(unknown)}`);
    }
  }
}

function withMessage(history: Message[], message: Message | undefined): Message[] {
  if (!message || history.some((m) => m.messageId === message.messageId)) return history;
  return [...history, message];
}

/** §4.2.2: `append` adds the parts to the artifact with the same id; otherwise it replaces. */
function mergeArtifact(artifacts: Artifact[], artifact: Artifact, append: boolean): Artifact[] {
  const index = artifacts.findIndex((a) => a.artifactId === artifact.artifactId);
  if (index < 0) return [...artifacts, artifact];
  const current = artifacts[index]!;
  const merged = append
    ? { ...current, ...artifact, parts: [...current.parts, ...artifact.parts] }
    : artifact;
  return artifacts.map((a, i) => (i === index ? merged : a));
}
