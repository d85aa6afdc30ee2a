import type { Artifact, Message, Task, TaskState, TaskStatus } from '../protocol/index.js';
import type { Delegation, PushConfig } from './events.js';

/** What a task's events fold into: what `decide` needs and what clients see. Pure data. */
export interface TaskFold {
  id: string;
  contextId: string;
  agent: string;
  status: TaskStatus;
  history: Message[];
  artifacts: Artifact[];
  metadata?: Task['metadata'];
  /** The agent's direct answer when it replied with a Message instead of a task (§3.1.1). */
  reply?: Message;
  /** A user message is waiting for the executor: set by submit/follow-up, cleared by a start. */
  pendingRun: boolean;
  /** Runs started so far (the next start is attempt `attempts + 1`). */
  attempts: number;
  /** The instance that started the latest run. */
  runner?: string;
  /** Upstream A2A tasks this task was handed to, oldest first (absent: none). */
  delegations?: Delegation[];
  /** Webhooks for the task's updates, in the order they were set (absent: none). */
  pushConfigs?: PushConfig[];
}

/** The fold plus where it stands in the store: what the command handler and views keep. */
export interface TaskAggregate extends TaskFold {
  /** Tenant the task belongs to ('' = default); invisible from any other (multi-tenancy). */
  tenant: string;
  /** The principal whose message created the task, when one was recorded. */
  owner?: string;
  /** Stream version of the last event folded in. */
  version: number;
  /** Global store position of the last event folded in. */
  position: number;
}

export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set([
  'TASK_STATE_COMPLETED',
  'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED',
  'TASK_STATE_REJECTED',
]);

/** States a blocking SendMessage returns at: it needs the client before it can go on (§3.1.1). */
export const INTERRUPTED_STATES: ReadonlySet<TaskState> = new Set([
  'TASK_STATE_INPUT_REQUIRED',
  'TASK_STATE_AUTH_REQUIRED',
]);

export function isTerminal(task: Pick<TaskAggregate, 'status'>): boolean {
  return TERMINAL_STATES.has(task.status.state);
}

export function isSettled(task: Pick<TaskAggregate, 'status'>): boolean {
  return TERMINAL_STATES.has(task.status.state) || INTERRUPTED_STATES.has(task.status.state);
}

/**
 * The A2A `Task` a client sees. `historyLength` keeps the most recent messages (0 = none,
 * §3.2.4); artifacts can be left out (ListTasks `includeArtifacts`).
 */
export function toTask(
  task: TaskFold,
  options: { historyLength?: number; includeArtifacts?: boolean } = {},
): Task {
  const limit = options.historyLength;
  const history = limit === undefined ? task.history : limit <= 0 ? [] : task.history.slice(-limit);
  return {
    id: task.id,
    contextId: task.contextId,
    status: task.status,
    ...(options.includeArtifacts === false || task.artifacts.length === 0
      ? {}
      : { artifacts: task.artifacts }),
    ...(history.length > 0 ? { history } : {}),
    ...(task.metadata ? { metadata: task.metadata } : {}),
  };
}
