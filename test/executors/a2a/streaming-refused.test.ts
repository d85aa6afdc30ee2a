import { TaskState } from '@a2a-js/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstreamAgent, type UpstreamAgent } from '../../support/upstream-agent.js';
import {
  artifactTexts,
  asTask,
  type ProxyGateway,
  say,
  send,
  startProxyGateway,
} from './proxy-gateway.js';

describe('an upstream whose card says it streams, but which refuses to', () => {
  let upstream: UpstreamAgent;
  let proxy: ProxyGateway;

  beforeAll(async () => {
    // The SDK server refuses SendStreamingMessage when its own card says it cannot stream; the
    // card it serves says it can.
    upstream = await startUpstreamAgent({ streaming: false });
    upstream.updateCard({ capabilities: { streaming: true, pushNotifications: false } });
    proxy = await startProxyGateway({
      proxied: { cardUrl: upstream.cardUrl, poll: { initialDelayMs: 20 } },
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });

  it('sends again without a stream and polls: the task completes, sent once upstream', async () => {
    const client = await proxy.client('proxied');
    const task = asTask(await client.sendMessage(send(say('no stream here'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(task)).toEqual(['no stream here']);
    expect(upstream.received('SendStreamingMessage')).toHaveLength(1);
    expect(upstream.received('SendMessage')).toHaveLength(1);
    const types = (await proxy.audit(task.id)).map((event) => event.type);
    expect(types.filter((type) => type === 'task.delegated')).toHaveLength(1);
  });
});
