import type { Message, TaskState } from '../protocol/index.js';
import type { TaskCommand } from './commands.js';
import {
  InvalidTaskRequestError,
  TaskConflictError,
  TaskNotCancelableError,
  TaskNotFoundError,
  TaskTerminalError,
} from './errors.js';
import type { Delegation, PushConfig, TaskEvent } from './events.js';
import { INTERRUPTED_STATES, isSettled, isTerminal, type TaskFold } from './state.js';

/**
 * What a command means for a task in its current state: the events to append, or an error
 * saying why not. Pure: no I/O, no clock (time comes in the command).
 */
export function decide(command: TaskCommand, task: TaskFold | undefined): TaskEvent[] {
  if (command.type === 'SubmitTask') {
    if (task) throw new TaskConflictError(`task ${command.taskId} already exists`);
    return [
      {
        type: 'task.submitted',
        data: {
          taskId: command.taskId,
          contextId: command.contextId,
          agent: command.agent,
          message: { ...command.message, taskId: command.taskId, contextId: command.contextId },
          ...(command.metadata ? { metadata: command.metadata } : {}),
        },
      },
      // The webhook is stored in the submission's append: no update can pass it unseen.
      ...(command.pushConfig
        ? [{ type: 'task.push_config_set' as const, data: { config: command.pushConfig } }]
        : []),
    ];
  }
  if (!task) throw new TaskNotFoundError('unknown');
  if ('attempt' in command && command.type !== 'StartExecution') assertCurrentRun(task, command);

  switch (command.type) {
    case 'ReceiveMessage':
      return receiveMessage(task, command.message);
    case 'StartExecution': {
      assertOpen(task);
      if (command.attempt !== task.attempts + 1) {
        throw new TaskConflictError(`task ${task.id}: run ${command.attempt} was claimed before`);
      }
      const resumable = command.resumed && !isSettled(task);
      if (!task.pendingRun && !resumable) {
        throw new TaskConflictError(`task ${task.id} has no message waiting to be run`);
      }
      return [
        {
          type: 'task.execution_started',
          data: {
            attempt: command.attempt,
            executor: command.executor,
            instance: command.instance,
            resumed: command.resumed,
          },
        },
      ];
    }
    case 'UpdateProgress':
      return changeStatus(task, 'TASK_STATE_WORKING', command.message, command.at);
    case 'AppendArtifact':
      assertOpen(task);
      return [
        {
          type: 'task.artifact_appended',
          data: {
            artifact: command.artifact,
            append: command.append,
            lastChunk: command.lastChunk,
          },
        },
      ];
    case 'RequireInput':
      return changeStatus(task, 'TASK_STATE_INPUT_REQUIRED', command.message, command.at);
    case 'RequireAuth':
      return changeStatus(task, 'TASK_STATE_AUTH_REQUIRED', command.message, command.at);
    case 'Complete':
      return changeStatus(task, 'TASK_STATE_COMPLETED', command.message, command.at);
    case 'Fail':
      return changeStatus(task, 'TASK_STATE_FAILED', command.message, command.at);
    case 'Reject':
      return changeStatus(task, 'TASK_STATE_REJECTED', command.message, command.at);
    case 'Cancel':
      if (isTerminal(task)) throw new TaskNotCancelableError(task.id, task.status.state);
      return changeStatus(task, 'TASK_STATE_CANCELED', command.message, command.at);
    case 'RecordDelegation': {
      assertOpen(task);
      const { delegation } = command;
      // A resumed run that finds its upstream task again records nothing new.
      if (task.delegations?.some((d) => sameDelegation(d, delegation))) return [];
      return [{ type: 'task.delegated', data: delegation }];
    }
    case 'Reply':
      assertOpen(task);
      return [{ type: 'task.replied', data: { message: agentMessage(task, command.message) } }];
    // An ended task takes configs too (clients and the TCK set them after the fact); with no
    // update left to send, they are only kept until deleted.
    case 'SetPushConfig':
      return setPushConfig(task, command.config);
    case 'DeletePushConfig':
      // Idempotent (§3.1.10): deleting what is not there changes nothing.
      if (!task.pushConfigs?.some((c) => c.id === command.id)) return [];
      return [{ type: 'task.push_config_deleted', data: { id: command.id } }];
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

/** Most webhooks one task may have: each update costs a delivery per webhook. */
export const MAX_PUSH_CONFIGS = 10;

function setPushConfig(task: TaskFold, config: PushConfig): TaskEvent[] {
  const configs = task.pushConfigs ?? [];
  const current = configs.find((c) => c.id === config.id);
  // A retried create finds its config stored: nothing new happens.
  if (current && JSON.stringify(current) === JSON.stringify(config)) return [];
  if (!current && configs.length >= MAX_PUSH_CONFIGS) {
    throw new InvalidTaskRequestError(
      'id',
      `task ${task.id} has ${configs.length} push notification configs, the most it may have`,
    );
  }
  return [{ type: 'task.push_config_set', data: { config } }];
}

function receiveMessage(task: TaskFold, message: Message): TaskEvent[] {
  assertOpen(task);
  // A retried follow-up is already in the history: nothing new happens. Retried means the same
  // id and the same content; clients (the TCK among them) reuse ids for different messages.
  if (task.history.some((m) => m.role === 'ROLE_USER' && sameMessage(m, message))) return [];
  if (message.contextId && message.contextId !== task.contextId) {
    throw new InvalidTaskRequestError(
      'message.contextId',
      `message.contextId ${message.contextId} does not match task ${task.id}'s context ${task.contextId}`,
    );
  }
  if (!INTERRUPTED_STATES.has(task.status.state)) {
    throw new TaskConflictError(
      `task ${task.id} is ${task.status.state}: it takes a new message once it asks for input`,
    );
  }
  return [
    {
      type: 'task.message_received',
      data: { message: { ...message, taskId: task.id, contextId: task.contextId } },
    },
  ];
}

function changeStatus(
  task: TaskFold,
  state: TaskState,
  message: Message | undefined,
  at: string,
): TaskEvent[] {
  assertOpen(task);
  return [
    {
      type: 'task.status_changed',
      data: {
        status: {
          state: state as Exclude<TaskState, 'TASK_STATE_UNSPECIFIED'>,
          ...(message ? { message: agentMessage(task, message) } : {}),
          timestamp: at,
        },
      },
    },
  ];
}

function sameDelegation(a: Delegation, b: Delegation): boolean {
  return a.cardUrl === b.cardUrl && a.remoteTaskId === b.remoteTaskId;
}

export function sameMessage(a: Message, b: Message): boolean {
  return a.messageId === b.messageId && JSON.stringify(a.parts) === JSON.stringify(b.parts);
}

function agentMessage(task: TaskFold, message: Message): Message {
  return { ...message, taskId: task.id, contextId: task.contextId };
}

function assertCurrentRun(task: TaskFold, command: { attempt?: number }): void {
  if (command.attempt !== undefined && command.attempt !== task.attempts) {
    throw new TaskConflictError(
      `task ${task.id}: run ${command.attempt} was superseded by run ${task.attempts}`,
    );
  }
}

function assertOpen(task: TaskFold): void {
  if (isTerminal(task)) throw new TaskTerminalError(task.id, task.status.state);
}
