import { describe, expect, it } from 'vitest';
import {
  InvalidTaskRequestError,
  MAX_PUSH_CONFIGS,
  type TaskCommand,
  TaskConflictError,
  type TaskEvent,
  TaskNotCancelableError,
  TaskNotFoundError,
  TaskTerminalError,
  toTask,
} from '../../src/tasks/index.js';
import { aSubmit } from '../support/task-builders.js';
import { AT, aMessage, fold, given, status, submitted } from '../support/task-spec.js';

const agentSays = (text: string) =>
  aMessage({ messageId: `a-${text}`, role: 'ROLE_AGENT', parts: [{ text }] });

describe('task decider', () => {
  it('submits a new task, stamping the message with the task and context ids', () => {
    given([]).when(aSubmit()).thenEmits([submitted()]);
  });

  it('refuses to submit a task id twice', () => {
    given([submitted()])
      .when(aSubmit())
      .thenThrows(TaskConflictError, /already exists/);
  });

  it('refuses commands for a task that does not exist', () => {
    given([]).when({ type: 'Complete', at: AT }).thenThrows(TaskNotFoundError);
  });

  it('claims a run once per waiting message', () => {
    const start = {
      type: 'StartExecution',
      executor: 'echo',
      instance: 'i-1',
      resumed: false,
      attempt: 1,
      at: AT,
    } as const;
    given([submitted()])
      .when(start)
      .thenEmits([
        {
          type: 'task.execution_started',
          data: { attempt: 1, executor: 'echo', instance: 'i-1', resumed: false },
        },
      ]);
    given([
      submitted(),
      {
        type: 'task.execution_started',
        data: { attempt: 1, executor: 'echo', instance: 'i-1', resumed: false },
      },
    ])
      .when(start)
      .thenThrows(TaskConflictError, /claimed before/);
    given([
      submitted(),
      {
        type: 'task.execution_started',
        data: { attempt: 1, executor: 'echo', instance: 'i-1', resumed: false },
      },
    ])
      .when({ ...start, attempt: 2 })
      .thenThrows(TaskConflictError, /no message waiting/);
  });

  it('lets one of two instances taking over a run claim it: the attempt is numbered', () => {
    const started = {
      type: 'task.execution_started',
      data: { attempt: 1, executor: 'echo', instance: 'dead', resumed: false },
    } as const;
    const takeOver = (instance: string) =>
      ({
        type: 'StartExecution',
        executor: 'echo',
        instance,
        resumed: true,
        attempt: 2,
        at: AT,
      }) as const;
    const claimedByA = {
      type: 'task.execution_started',
      data: { attempt: 2, executor: 'echo', instance: 'a', resumed: true },
    } as const;
    given([submitted(), started]).when(takeOver('a')).thenEmits([claimedByA]);
    given([submitted(), started, claimedByA])
      .when(takeOver('b'))
      .thenThrows(TaskConflictError, /claimed before/);
  });

  it('ignores what a superseded run reports once a later run has been claimed', () => {
    const started = (attempt: number) =>
      ({
        type: 'task.execution_started',
        data: { attempt, executor: 'echo', instance: `i-${attempt}`, resumed: attempt > 1 },
      }) as const;
    given([submitted(), started(1), started(2)])
      .when({ type: 'Complete', attempt: 1, at: AT })
      .thenThrows(TaskConflictError, /superseded by run 2/);
    given([submitted(), started(1), started(2)])
      .when({ type: 'Complete', attempt: 2, at: AT })
      .thenEmits([status('TASK_STATE_COMPLETED')]);
  });

  it('resumes a run a dead process left behind, but never a settled task', () => {
    const started = {
      type: 'task.execution_started',
      data: { attempt: 1, executor: 'echo', instance: 'i-1', resumed: false },
    } as const;
    const resume = {
      type: 'StartExecution',
      executor: 'echo',
      instance: 'i-1',
      resumed: true,
      attempt: 2,
      at: AT,
    } as const;
    given([submitted(), started])
      .when(resume)
      .thenEmits([
        {
          type: 'task.execution_started',
          data: { attempt: 2, executor: 'echo', instance: 'i-1', resumed: true },
        },
      ]);
    given([submitted(), started, status('TASK_STATE_INPUT_REQUIRED')])
      .when(resume)
      .thenThrows(TaskConflictError);
  });

  it('records status changes with the agent message and the command time', () => {
    given([submitted()])
      .when({ type: 'RequireInput', message: agentSays('which city?'), at: AT })
      .thenEmits([
        {
          type: 'task.status_changed',
          data: {
            status: {
              state: 'TASK_STATE_INPUT_REQUIRED',
              message: { ...agentSays('which city?'), taskId: 't-1', contextId: 'c-1' },
              timestamp: AT,
            },
          },
        },
      ]);
  });

  it('accepts a follow-up message while the task waits for input (§3.4)', () => {
    given([submitted(), status('TASK_STATE_INPUT_REQUIRED')])
      .when({
        type: 'ReceiveMessage',
        message: aMessage({ messageId: 'm-2', taskId: 't-1' }),
        at: AT,
      })
      .thenEmits([
        {
          type: 'task.message_received',
          data: { message: aMessage({ messageId: 'm-2', taskId: 't-1', contextId: 'c-1' }) },
        },
      ]);
  });

  it('ignores a retried follow-up with a message id it already holds', () => {
    given([
      submitted(),
      status('TASK_STATE_INPUT_REQUIRED'),
      {
        type: 'task.message_received',
        data: { message: aMessage({ messageId: 'm-2', taskId: 't-1', contextId: 'c-1' }) },
      },
      status('TASK_STATE_INPUT_REQUIRED'),
    ])
      .when({ type: 'ReceiveMessage', message: aMessage({ messageId: 'm-2' }), at: AT })
      .thenEmits([]);
  });

  it('takes a reused message id with other content as a new message', () => {
    given([submitted(), status('TASK_STATE_INPUT_REQUIRED')])
      .when({
        type: 'ReceiveMessage',
        message: aMessage({ parts: [{ text: 'other words' }] }),
        at: AT,
      })
      .thenEmits([
        {
          type: 'task.message_received',
          data: {
            message: aMessage({
              parts: [{ text: 'other words' }],
              taskId: 't-1',
              contextId: 'c-1',
            }),
          },
        },
      ]);
  });

  it('refuses a message to a terminal task (§3.1.1 UnsupportedOperationError)', () => {
    given([submitted(), status('TASK_STATE_COMPLETED')])
      .when({ type: 'ReceiveMessage', message: aMessage({ messageId: 'm-9' }), at: AT })
      .thenThrows(TaskTerminalError, /TASK_STATE_COMPLETED/);
  });

  it('refuses a follow-up that names another context', () => {
    given([submitted(), status('TASK_STATE_INPUT_REQUIRED')])
      .when({
        type: 'ReceiveMessage',
        message: aMessage({ messageId: 'm-2', contextId: 'other' }),
        at: AT,
      })
      .thenThrows(InvalidTaskRequestError, /does not match/);
  });

  it('refuses a follow-up while the agent is still working', () => {
    given([submitted(), status('TASK_STATE_WORKING')])
      .when({ type: 'ReceiveMessage', message: aMessage({ messageId: 'm-2' }), at: AT })
      .thenThrows(TaskConflictError, /asks for input/);
  });

  it('cancels an open task and refuses to cancel a finished one (§3.1.5)', () => {
    given([submitted(), status('TASK_STATE_INPUT_REQUIRED')])
      .when({ type: 'Cancel', at: AT })
      .thenEmits([status('TASK_STATE_CANCELED')]);
    given([submitted(), status('TASK_STATE_COMPLETED')])
      .when({ type: 'Cancel', at: AT })
      .thenThrows(TaskNotCancelableError);
  });

  it('refuses updates after a terminal state, so a canceled run cannot complete', () => {
    for (const command of [
      { type: 'Complete', at: AT },
      { type: 'UpdateProgress', at: AT },
      {
        type: 'AppendArtifact',
        artifact: { artifactId: 'a', parts: [{ text: 'x' }] },
        append: false,
        lastChunk: true,
        at: AT,
      },
    ] satisfies TaskCommand[]) {
      given([submitted(), status('TASK_STATE_CANCELED')])
        .when(command)
        .thenThrows(TaskTerminalError);
    }
  });
});

describe('task push configs (§3.1.7–§3.1.10)', () => {
  const hook = (id: string, url = `https://hooks.example/${id}`) => ({ id, url });
  const set = (id: string, url?: string): TaskEvent => ({
    type: 'task.push_config_set',
    data: { config: hook(id, url) },
  });

  it('stores a webhook given with the submission in the same decision, after it', () => {
    given([])
      .when({ ...aSubmit(), pushConfig: { ...hook('p-1'), token: 'tok' } })
      .thenEmits([
        submitted(),
        { type: 'task.push_config_set', data: { config: { ...hook('p-1'), token: 'tok' } } },
      ]);
  });

  it('adds configs by id, replaces one in place, and ignores a retried identical create', () => {
    given([submitted(), set('p-1')])
      .when({ type: 'SetPushConfig', config: hook('p-1'), at: AT })
      .thenEmits([]);
    given([submitted(), set('p-1')])
      .when({ type: 'SetPushConfig', config: hook('p-1', 'https://elsewhere.example/'), at: AT })
      .thenEmits([set('p-1', 'https://elsewhere.example/')]);
    const task = fold([submitted(), set('p-1'), set('p-2'), set('p-1', 'https://x.example/')]);
    expect(task?.pushConfigs).toEqual([hook('p-1', 'https://x.example/'), hook('p-2')]);
  });

  it('takes configs on an ended task too, and keeps them until deleted', () => {
    given([submitted(), status('TASK_STATE_COMPLETED')])
      .when({ type: 'SetPushConfig', config: hook('p-1'), at: AT })
      .thenEmits([set('p-1')]);
    expect(fold([submitted(), set('p-1'), status('TASK_STATE_COMPLETED')])?.pushConfigs).toEqual([
      hook('p-1'),
    ]);
  });

  it('deletes idempotently: a config that is not there changes nothing', () => {
    const deleted: TaskEvent = { type: 'task.push_config_deleted', data: { id: 'p-1' } };
    given([submitted(), set('p-1')])
      .when({ type: 'DeletePushConfig', id: 'p-1', at: AT })
      .thenEmits([deleted]);
    given([submitted(), set('p-1'), deleted])
      .when({ type: 'DeletePushConfig', id: 'p-1', at: AT })
      .thenEmits([]);
    expect(fold([submitted(), set('p-1'), set('p-2'), deleted])?.pushConfigs).toEqual([
      hook('p-2'),
    ]);
    expect(fold([submitted(), set('p-1'), deleted])?.pushConfigs).toBeUndefined();
  });

  it('bounds the webhooks of one task', () => {
    const many = Array.from({ length: MAX_PUSH_CONFIGS }, (_, i) => set(`p-${i}`));
    given([submitted(), ...many])
      .when({ type: 'SetPushConfig', config: hook('one-more'), at: AT })
      .thenThrows(InvalidTaskRequestError, /push notification configs/);
    given([submitted(), ...many])
      .when({ type: 'SetPushConfig', config: hook('p-0', 'https://new.example/'), at: AT })
      .thenEmits([set('p-0', 'https://new.example/')]);
  });

  it('refuses configs for a task that does not exist', () => {
    given([])
      .when({ type: 'SetPushConfig', config: hook('p-1'), at: AT })
      .thenThrows(TaskNotFoundError);
  });
});

describe('task evolution', () => {
  it('appends chunks to the artifact with the same id, and replaces it otherwise (§4.2.2)', () => {
    const chunk = (text: string, append: boolean): TaskEvent => ({
      type: 'task.artifact_appended',
      data: { artifact: { artifactId: 'a', parts: [{ text }] }, append, lastChunk: false },
    });
    const task = fold([submitted(), chunk('one ', false), chunk('two', true)]);
    expect(task?.artifacts).toEqual([
      { artifactId: 'a', parts: [{ text: 'one ' }, { text: 'two' }] },
    ]);
    expect(fold([submitted(), chunk('one ', false), chunk('new', false)])?.artifacts).toEqual([
      { artifactId: 'a', parts: [{ text: 'new' }] },
    ]);
  });

  it('keeps history in order: user messages and the agent’s status messages', () => {
    const task = fold([
      submitted(),
      {
        type: 'task.status_changed',
        data: {
          status: {
            state: 'TASK_STATE_INPUT_REQUIRED',
            message: agentSays('more?'),
            timestamp: AT,
          },
        },
      },
      {
        type: 'task.message_received',
        data: { message: aMessage({ messageId: 'm-2', parts: [{ text: 'yes' }] }) },
      },
    ]);
    expect(task?.history.map((m) => m.parts[0]?.text)).toEqual(['hello', 'more?', 'yes']);
    expect(task?.status.state).toBe('TASK_STATE_WORKING');
    expect(task?.pendingRun).toBe(true);
  });

  it('shows clients the task with the history they asked for (§3.2.4 historyLength)', () => {
    const task = fold([submitted(), status('TASK_STATE_COMPLETED')])!;
    expect(toTask(task, { historyLength: 0 }).history).toBeUndefined();
    expect(toTask(task, { historyLength: 5 }).history).toHaveLength(1);
    expect(toTask(task)).toEqual({
      id: 't-1',
      contextId: 'c-1',
      status: { state: 'TASK_STATE_COMPLETED', timestamp: AT },
      history: [{ ...aMessage(), taskId: 't-1', contextId: 'c-1' }],
    });
  });
});
