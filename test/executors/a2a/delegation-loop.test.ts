import { once } from 'node:events';
import { createServer } from 'node:net';
import { TaskState } from '@a2a-js/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstreamAgent, type UpstreamAgent } from '../../support/upstream-agent.js';
import {
  asTask,
  type ProxyGateway,
  say,
  send,
  startProxyGateway,
  statusText,
} from './proxy-gateway.js';

/** A port free a moment ago: the gateway must know its own address before it starts. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

const TRACE = 'a2a-gateway/trace';

describe('delegation traces', () => {
  let looping: UpstreamAgent;
  let plain: UpstreamAgent;
  let proxy: ProxyGateway;

  beforeAll(async () => {
    const port = await freePort();
    // Its card names the gateway's own endpoint for `loop`: the gateway delegates to itself.
    looping = await startUpstreamAgent({ advertise: `http://127.0.0.1:${port}/agents/loop` });
    plain = await startUpstreamAgent();
    proxy = await startProxyGateway(
      { loop: { cardUrl: looping.cardUrl }, far: { cardUrl: plain.cardUrl } },
      { PORT: String(port), GATEWAY_ID: 'gw-under-test', DELEGATION_MAX_DEPTH: '3' },
    );
  });
  afterAll(async () => {
    await proxy?.stop();
    await looping?.close();
    await plain?.close();
  });

  it('a message that comes back to the same agent is rejected as a loop, and the chain stops', async () => {
    const client = await proxy.client('loop');
    const outer = asTask(await client.sendMessage(send(say('round and round'))));
    expect(outer.status?.state).toBe(TaskState.TASK_STATE_REJECTED);
    expect(statusText(outer)).toBe(
      'delegation loop: this message already passed through gw-under-test/loop ' +
        '(gw-under-test/loop → gw-under-test/loop); not forwarded again',
    );

    // Exactly one hop: the outer task delegated to an inner one, which delegated nowhere.
    const delegated = (await proxy.audit(outer.id)).filter((e) => e.type === 'task.delegated');
    expect(delegated).toHaveLength(1);
    const innerId: string = delegated[0]!.data.remoteTaskId;
    const inner = await client.getTask({ id: innerId, tenant: '', historyLength: undefined });
    expect(inner.status?.state).toBe(TaskState.TASK_STATE_REJECTED);
    expect((await proxy.audit(innerId)).some((e) => e.type === 'task.delegated')).toBe(false);
    // The card's server was asked for its card only, never sent a message.
    expect(looping.requests).toEqual([]);
  });

  it('passes the trace on with its own hop added', async () => {
    const client = await proxy.client('far');
    const task = asTask(
      await client.sendMessage(send(say('hi', { metadata: { [TRACE]: ['other-gw/agent'] } }))),
    );
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const forwarded = plain.received('SendStreamingMessage').at(-1)!;
    expect(forwarded.body.params.message.metadata[TRACE]).toEqual([
      'other-gw/agent',
      'gw-under-test/far',
    ]);
  });

  it('rejects a message that has passed DELEGATION_MAX_DEPTH hops already', async () => {
    const client = await proxy.client('far');
    const before = plain.requests.length;
    const hops = ['a/x', 'b/y', 'c/z'];
    const task = asTask(await client.sendMessage(send(say('hi', { metadata: { [TRACE]: hops } }))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_REJECTED);
    expect(statusText(task)).toBe(
      'delegation chain too deep: this message already passed 3 gateway hops, the limit is 3 ' +
        '(a/x → b/y → c/z → gw-under-test/far)',
    );
    expect(plain.requests.length).toBe(before);
  });
});
