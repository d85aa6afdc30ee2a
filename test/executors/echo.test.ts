import { describe, expect, it } from 'vitest';
import {
  createEchoAgent,
  type Emission,
  type ExecutionContext,
} from '../../src/executors/index.js';
import { aMessage } from '../support/task-spec.js';

function run(text: string, signal = new AbortController().signal) {
  const message = aMessage({ messageId: 'm-delay', parts: [{ text }] });
  const context: ExecutionContext = {
    task: { id: 't-1', contextId: 'c-1', status: { state: 'TASK_STATE_WORKING' } },
    message,
    agent: 'echo',
    signal,
    resumed: false,
    delegations: [],
  };
  const emits: Emission[][] = [];
  const done = createEchoAgent().execute(context, async (...emissions) => {
    emits.push(emissions);
  });
  return { done, emits };
}

describe('echo agent /delay', () => {
  it('waits, then completes like a plain echo of the text after the number, in one emit', async () => {
    const started = performance.now();
    const { done, emits } = run('/delay 30 hello  world');
    await done;
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
    expect(emits).toEqual([
      [
        {
          kind: 'artifact',
          artifact: { artifactId: 'echo-m-delay', parts: [{ text: 'hello  world' }] },
          lastChunk: true,
        },
        { kind: 'status', state: 'TASK_STATE_COMPLETED' },
      ],
    ]);
  });

  it('stops waiting when its run is aborted, and emits nothing', async () => {
    const controller = new AbortController();
    const { done, emits } = run('/delay 60000 never', controller.signal);
    controller.abort(new Error('canceled'));
    await expect(done).rejects.toThrow('canceled');
    expect(emits).toEqual([]);
  });
});
