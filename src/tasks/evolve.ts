import type { Artifact, Message } from '../protocol/index.js';
import type { TaskEvent } from './events.js';
import type { TaskFold } from './state.js';

/**
 * Folds one event into the task. Pure; `undefined` is the task before its first event; `at`
 * is when the event happened (the store's timestamp). Where the event is stored (version,
 * position, tenant) is the caller's bookkeeping (`fold.ts`).
 */
export function evolve<T extends TaskFold>(
  task: T | undefined,
  event: TaskEvent,
  at: string,
): TaskFold {
  if (event.type === 'task.submitted') {
    const { data } = event;
    return {
      id: data.taskId,
      contextId: data.contextId,
      agent: data.agent,
      status: { state: 'TASK_STATE_SUBMITTED', timestamp: at },
      history: [data.message],
      artifacts: [],
      ...(data.metadata ? { metadata: data.metadata } : {}),
      pendingRun: true,
      attempts: 0,
    };
  }
  if (!task) throw new Error(`${event.type} before task.submitted`);

  switch (event.type) {
    case 'task.message_received':
      return {
        ...task,
        history: [...task.history, event.data.message],
        status: { state: 'TASK_STATE_WORKING', timestamp: at },
        pendingRun: true,
      };
    case 'task.execution_started':
      return {
        ...task,
        pendingRun: false,
        attempts: event.data.attempt,
        runner: event.data.instance,
      };
    case 'task.status_changed': {
      const { status } = event.data;
      return { ...task, status, history: withMessage(task.history, status.message) };
    }
    case 'task.artifact_appended':
      return {
        ...task,
        artifacts: mergeArtifact(task.artifacts, event.data.artifact, event.data.append),
      };
    case 'task.delegated':
      return { ...task, delegations: [...(task.delegations ?? []), event.data] };
    case 'task.push_config_set': {
      const { config } = event.data;
      const configs = task.pushConfigs ?? [];
      // A replaced config keeps its place: List shows them in the order they were made.
      const pushConfigs = configs.some((c) => c.id === config.id)
        ? configs.map((c) => (c.id === config.id ? config : c))
        : [...configs, config];
      return { ...task, pushConfigs };
    }
    case 'task.push_config_deleted': {
      const { pushConfigs: _, ...rest } = task;
      const pushConfigs = (task.pushConfigs ?? []).filter((c) => c.id !== event.data.id);
      return pushConfigs.length > 0 ? { ...rest, pushConfigs } : rest;
    }
    case 'task.replied':
      return {
        ...task,
        reply: event.data.message,
        status: { state: 'TASK_STATE_COMPLETED', timestamp: at },
        history: withMessage(task.history, event.data.message),
      };
    default: {
      const unknown: never = event;
      throw new Error(`unknown task event ${JSON.stringify(unknown)}`);
    }
  }
}

/** The history with `message` added, unless it holds that message already. */
export function withMessage(history: Message[], message: Message | undefined): Message[] {
  if (!message || history.some((m) => m.messageId === message.messageId)) return history;
  return [...history, message];
}

/** §4.2.2: `append` adds the parts to the artifact with the same id; otherwise it replaces. */
export function mergeArtifact(
  artifacts: Artifact[],
  artifact: Artifact,
  append: boolean,
): Artifact[] {
  const index = artifacts.findIndex((a) => a.artifactId === artifact.artifactId);
  if (index < 0) return [...artifacts, artifact];
  const current = artifacts[index]!;
  const merged = append
    ? { ...current, ...artifact, parts: [...current.parts, ...artifact.parts] }
    : artifact;
  return artifacts.map((a, i) => (i === index ? merged : a));
}
