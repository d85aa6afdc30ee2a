import { afterEach, describe, expect, it } from 'vitest';
import { createA2aService, type RequestContext } from '../../src/a2a/index.js';
import type { AgentExecutor } from '../../src/executors/index.js';
import { createLogger } from '../../src/observability/index.js';
import {
  createMemoryInstanceLeases,
  createTaskLifecycle,
  type TaskLifecycle,
} from '../../src/sagas/index.js';
import { createMemoryEventStore, type EventStore } from '../../src/store/index.js';
import { createTaskCommands, followTask, type TaskView, taskAt } from '../../src/tasks/index.js';
import { aHostedAgent } from '../support/hosted-agent.js';

const logger = createLogger({ level: 'silent' });

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

const agent = aHostedAgent();

/** Answers in the same turn it is called: nothing awaits a real clock or I/O. */
const instantEcho: AgentExecutor = {
  async execute({ message }, emit) {
    await emit(
      { kind: 'artifact', artifact: { artifactId: 'a', parts: message.parts }, lastChunk: true },
      { kind: 'status', state: 'TASK_STATE_COMPLETED' },
    );
  },
};

/**
 * The A2A service over the memory store, whose appends complete without any I/O: a run that
 * stores its first report before the caller could start following must still be seen.
 */
describe('A2A service over a store that commits at once', () => {
  let store: EventStore;
  let lifecycle: TaskLifecycle;
  afterEach(async () => {
    await lifecycle?.stop();
    await store?.close();
  });

  async function service() {
    store = createMemoryEventStore();
    const commands = createTaskCommands(store);
    const view = { unsettled: async () => [] } as unknown as TaskView;
    lifecycle = createTaskLifecycle({
      store,
      commands,
      view,
      leases: createMemoryInstanceLeases(),
      instance: 'test',
      logger,
      runtimeFor: () => ({
        executor: instantEcho,
        executorName: 'test:echo',
        timeoutMs: 10_000,
        onRestart: 'resume',
        claim: 'with-first-update',
      }),
    });
    await lifecycle.start();
    return createA2aService({
      commands,
      view,
      follow: (taskId, options) => followTask(store, taskId, options),
      taskAt: (taskId, position) => taskAt(store, taskId, position),
      catchUp: async () => {},
      stage: (command, context) => lifecycle.stage(command, context),
    });
  }

  const ctx = (): RequestContext => ({
    agent,
    tenant: '',
    principal: 'tester',
    correlationId: 'c-1',
    signal: AbortSignal.timeout(5_000),
  });
  const message = (text: string) => ({
    message: { messageId: `m-${text}`, role: 'ROLE_USER' as const, parts: [{ text }] },
  });

  it('answers a blocking SendMessage whose run stored everything in one commit', async () => {
    const a2a = await service();
    const reply = await a2a.sendMessage(message('at once'), ctx());
    expect(reply.task?.status.state).toBe('TASK_STATE_COMPLETED');
    expect(reply.task?.artifacts?.[0]?.parts).toEqual([{ text: 'at once' }]);
    // Submission, claim and the first report: one append.
    const events = await store.readStream(`task-${reply.task!.id}`);
    expect(new Set(events.map((event) => event.globalPosition - event.streamVersion)).size).toBe(1);
  });

  it('streams the task, then its updates, when the run answered before the stream began', async () => {
    const a2a = await service();
    const items = await collect(await a2a.sendStreamingMessage(message('streamed'), ctx()));
    expect(items.map((item) => Object.keys(item.response)[0])).toEqual([
      'task',
      'artifactUpdate',
      'statusUpdate',
    ]);
    expect(items[0]!.response.task?.status.state).toBe('TASK_STATE_SUBMITTED');
  });
});
