import { TaskState } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/collect.js';
import type { JsonBody } from '../../support/gateway.js';
import { startUpstreamAgent, type UpstreamAgent } from '../../support/upstream-agent.js';
import {
  artifactTexts,
  asTask,
  type ProxyGateway,
  say,
  send,
  startProxyGateway,
  statusText,
} from './proxy-gateway.js';

describe('an upstream that speaks A2A 0.3 only', () => {
  let upstream: UpstreamAgent;
  let proxy: ProxyGateway;
  let streamed: Client;
  let polled: Client;

  beforeAll(async () => {
    upstream = await startUpstreamAgent({ protocol: '0.3' });
    proxy = await startProxyGateway({
      old: { cardUrl: upstream.cardUrl },
      'old-polled': { cardUrl: upstream.cardUrl, streaming: 'never', poll: { initialDelayMs: 20 } },
    });
    streamed = await proxy.client('old');
    polled = await proxy.client('old-polled');
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });

  it('its 0.3 card is read, mapped to 1.0 and republished as a 1.0 card of ours', async () => {
    const card: JsonBody = await (
      await fetch(`${proxy.url}/agents/old/.well-known/agent-card.json`)
    ).json();
    expect(card.name).toBe('Reference upstream (0.3)');
    expect(card.version).toBe('0.3.9');
    expect(card.skills.map((skill: { id: string }) => skill.id)).toEqual(['echo']);
    expect(card.supportedInterfaces[0]).toMatchObject({
      url: `${proxy.url}/agents/old`,
      protocolVersion: '1.0',
    });
  });

  it('streams with message/stream in 0.3 shapes, and records the upstream task as 0.3', async () => {
    const task = asTask(await streamed.sendMessage(send(say('hello from 1.0'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(task)).toEqual(['hello from 1.0']);
    const sent = upstream.received('message/stream').at(-1)!;
    expect(sent.headers['a2a-version']).toBe('0.3');
    expect(sent.body.params.message).toMatchObject({
      kind: 'message',
      role: 'user',
      parts: [{ kind: 'text', text: 'hello from 1.0' }],
    });
    const delegated = (await proxy.audit(task.id)).find((e) => e.type === 'task.delegated');
    expect(delegated?.data).toMatchObject({ protocolVersion: '0.3', cardVersion: '0.3.9' });
    expect(upstream.stateOf(delegated?.data.remoteTaskId)).toBe('TASK_STATE_COMPLETED');
  });

  it('polls with message/send (blocking: false) and tasks/get', async () => {
    const task = asTask(await polled.sendMessage(send(say('/stream 2'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(task)).toEqual(['chunk 0 chunk 1 ']);
    expect(upstream.received('message/send').at(-1)?.body.params.configuration).toEqual({
      blocking: false,
    });
    expect(upstream.received('tasks/get').length).toBeGreaterThan(0);
  });

  it('input-required, then the follow-up goes to the same 0.3 task', async () => {
    const first = asTask(await streamed.sendMessage(send(say('/input'))));
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(statusText(first)).toBe('What should I echo?');
    const second = asTask(
      await streamed.sendMessage(send(say('old answer', { taskId: first.id }))),
    );
    expect(second.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(second)).toEqual(['old answer']);
    const delegated = (await proxy.audit(first.id)).filter((e) => e.type === 'task.delegated');
    expect(delegated).toHaveLength(1);
    const followUp = upstream.received('message/stream').at(-1)!;
    expect(followUp.body.params.message.taskId).toBe(delegated[0]!.data.remoteTaskId);
  });

  it('a cancel goes upstream as tasks/cancel', async () => {
    const task = asTask(await streamed.sendMessage(send(say('/sleep'), true)));
    let remoteTaskId = '';
    await eventually(async () => {
      const events = await proxy.audit(task.id);
      remoteTaskId = events.find((e) => e.type === 'task.delegated')?.data.remoteTaskId ?? '';
      return remoteTaskId !== '' && upstream.stateOf(remoteTaskId) === 'TASK_STATE_WORKING';
    });
    await streamed.cancelTask({ id: task.id, tenant: '', metadata: undefined });
    await eventually(() => upstream.stateOf(remoteTaskId) === 'TASK_STATE_CANCELED');
    expect(upstream.received('tasks/cancel').at(-1)?.body.params).toEqual({ id: remoteTaskId });
  });
});
