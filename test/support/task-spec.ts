import { expect } from 'vitest';
import type { Message } from '../../src/protocol/index.js';
import {
  decide,
  evolve,
  type TaskAggregate,
  type TaskCommand,
  type TaskEvent,
  type TaskFold,
} from '../../src/tasks/index.js';

export const AT = '2026-05-01T12:00:00.000Z';

export function aMessage(overrides: Partial<Message> = {}): Message {
  return { messageId: 'm-1', role: 'ROLE_USER', parts: [{ text: 'hello' }], ...overrides };
}

export function submitted(overrides: { message?: Message } = {}): TaskEvent {
  return {
    type: 'task.submitted',
    data: {
      taskId: 't-1',
      contextId: 'c-1',
      agent: 'echo',
      message: { ...(overrides.message ?? aMessage()), taskId: 't-1', contextId: 'c-1' },
    },
  };
}

export function status(
  state: Exclude<TaskAggregate['status']['state'], 'TASK_STATE_UNSPECIFIED'>,
): TaskEvent {
  return { type: 'task.status_changed', data: { status: { state, timestamp: AT } } };
}

export function fold(events: TaskEvent[]): TaskFold | undefined {
  return events.reduce<TaskFold | undefined>((task, event) => evolve(task, event, AT), undefined);
}

/** given(events).when(command).thenEmits(events) — the decider read as a specification. */
export function given(history: TaskEvent[]) {
  return {
    when(command: TaskCommand) {
      const run = () => decide(command, fold(history));
      return {
        thenEmits(expected: TaskEvent[]) {
          expect(run()).toEqual(expected);
        },
        thenThrows(error: new (...args: never[]) => Error, message?: RegExp) {
          expect(run).toThrow(error);
          if (message) expect(run).toThrow(message);
        },
      };
    },
  };
}
