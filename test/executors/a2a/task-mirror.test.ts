import { describe, expect, it } from 'vitest';
import { UpstreamTaskMirror } from '../../../src/executors/a2a/task-mirror.js';
import type { Message, Task, TaskStatus } from '../../../src/protocol/index.js';

const URL = 'http://up.example/card.json';

const said = (messageId: string, text: string): Message => ({
  messageId,
  role: 'ROLE_AGENT',
  parts: [{ text }],
});

function task(status: TaskStatus, artifacts: Task['artifacts'] = []): Task {
  return { id: 'remote-1', contextId: 'ctx-1', status, artifacts };
}

function mirror(
  options: { canceled?: boolean; status?: TaskStatus; known?: Task['artifacts'] } = {},
) {
  return new UpstreamTaskMirror(URL, {
    canceledByUs: () => options.canceled ?? false,
    ...(options.status ? { status: options.status } : {}),
    ...(options.known ? { known: options.known } : {}),
  });
}

describe('mirroring an upstream task', () => {
  it('stream events: artifacts keep append and lastChunk; a final status ends the run', () => {
    const m = mirror();
    expect(m.onEvent({ task: task({ state: 'TASK_STATE_SUBMITTED' }) })).toEqual({
      emissions: [],
      outcome: 'continue',
    });
    const chunk = { artifactId: 'a', parts: [{ text: 'more' }] };
    expect(
      m.onEvent({
        artifactUpdate: {
          taskId: 'remote-1',
          contextId: 'c',
          artifact: chunk,
          append: true,
          lastChunk: true,
        },
      }),
    ).toEqual({
      emissions: [{ kind: 'artifact', artifact: chunk, append: true, lastChunk: true }],
      outcome: 'continue',
    });
    const done = { state: 'TASK_STATE_COMPLETED', message: said('m1', 'done') } as const;
    expect(
      m.onEvent({ statusUpdate: { taskId: 'remote-1', contextId: 'c', status: done } }),
    ).toEqual({
      emissions: [{ kind: 'status', state: 'TASK_STATE_COMPLETED', message: done.message }],
      outcome: 'final',
    });
  });

  it('WORKING is passed on when it is news: a new state or a new message', () => {
    const m = mirror();
    const working = (message?: Message): TaskStatus => ({
      state: 'TASK_STATE_WORKING',
      ...(message ? { message } : {}),
    });
    const update = (status: TaskStatus) =>
      m.onEvent({ statusUpdate: { taskId: 'r', contextId: 'c', status } }).emissions;
    expect(update(working())).toEqual([{ kind: 'status', state: 'TASK_STATE_WORKING' }]);
    expect(update(working())).toEqual([]);
    expect(update(working(said('m2', 'halfway')))).toHaveLength(1);
    expect(update(working(said('m2', 'halfway')))).toEqual([]);
  });

  it('polled snapshots give only what changed: new or changed artifacts, then the status', () => {
    const m = mirror({ known: [{ artifactId: 'old', parts: [{ text: 'from an earlier run' }] }] });
    const first = m.onTask(
      task({ state: 'TASK_STATE_WORKING' }, [
        { artifactId: 'old', parts: [{ text: 'from an earlier run' }] },
        { artifactId: 'new', parts: [{ text: 'a' }] },
      ]),
    );
    expect(first.emissions).toEqual([
      { kind: 'artifact', artifact: { artifactId: 'new', parts: [{ text: 'a' }] } },
      { kind: 'status', state: 'TASK_STATE_WORKING' },
    ]);
    const same = m.onTask(
      task({ state: 'TASK_STATE_WORKING' }, [
        { artifactId: 'old', parts: [{ text: 'from an earlier run' }] },
        { artifactId: 'new', parts: [{ text: 'a' }] },
      ]),
    );
    expect(same).toEqual({ emissions: [], outcome: 'continue' });
    const grown = m.onTask(
      task({ state: 'TASK_STATE_COMPLETED' }, [
        { artifactId: 'new', parts: [{ text: 'a' }, { text: 'b' }] },
      ]),
    );
    expect(grown).toEqual({
      emissions: [
        {
          kind: 'artifact',
          artifact: { artifactId: 'new', parts: [{ text: 'a' }, { text: 'b' }] },
        },
        { kind: 'status', state: 'TASK_STATE_COMPLETED' },
      ],
      outcome: 'final',
    });
  });

  it('streamed appends are folded, so a later snapshot of the same content is no news', () => {
    const m = mirror();
    for (const [text, append] of [
      ['a', false],
      ['b', true],
    ] as const)
      m.onEvent({
        artifactUpdate: {
          taskId: 'r',
          contextId: 'c',
          artifact: { artifactId: 'x', parts: [{ text }] },
          append,
        },
      });
    const snapshot = m.onTask(
      task({ state: 'TASK_STATE_WORKING' }, [
        { artifactId: 'x', parts: [{ text: 'a' }, { text: 'b' }] },
      ]),
    );
    expect(snapshot.emissions.filter((e) => e.kind === 'artifact')).toEqual([]);
  });

  it('an input request already answered is no news in a snapshot; a new one ends the run', () => {
    const asked = {
      state: 'TASK_STATE_INPUT_REQUIRED',
      message: said('q1', 'Which?'),
      timestamp: '2026-01-01T00:00:00.000Z',
    } as const;
    const m = mirror({ status: asked });
    expect(m.onTask(task(asked))).toEqual({ emissions: [], outcome: 'continue' });
    const again = {
      ...asked,
      message: said('q2', 'And then?'),
      timestamp: '2026-01-01T00:00:01.000Z',
    };
    expect(m.onTask(task(again))).toEqual({
      emissions: [{ kind: 'status', state: 'TASK_STATE_INPUT_REQUIRED', message: again.message }],
      outcome: 'interrupted',
    });
  });

  it('CANCELED upstream: expected after our cancel, else our task fails saying so', () => {
    const canceled = { state: 'TASK_STATE_CANCELED', message: said('c', 'bye') } as const;
    expect(mirror({ canceled: true }).onTask(task(canceled))).toEqual({
      emissions: [],
      outcome: 'final',
    });
    const step = mirror().onTask(task(canceled));
    expect(step.outcome).toBe('final');
    expect(step.emissions).toMatchObject([
      {
        kind: 'status',
        state: 'TASK_STATE_FAILED',
        message: {
          role: 'ROLE_AGENT',
          parts: [{ text: `upstream ${URL} canceled the task: bye` }],
        },
      },
    ]);
  });

  it('a Message reply ends the run with that message', () => {
    const reply = said('r', 'hello');
    expect(mirror().onEvent({ message: reply })).toEqual({
      emissions: [{ kind: 'message', message: reply }],
      outcome: 'replied',
    });
  });
});
