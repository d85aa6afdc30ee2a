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
  waitForState,
} from './proxy-gateway.js';

describe('an upstream A2A agent behind the gateway', () => {
  let upstream: UpstreamAgent;
  let proxy: ProxyGateway;
  let streamed: Client;
  let polled: Client;

  beforeAll(async () => {
    upstream = await startUpstreamAgent();
    proxy = await startProxyGateway({
      proxied: { cardUrl: upstream.cardUrl },
      polled: { cardUrl: upstream.cardUrl, streaming: 'never', poll: { initialDelayMs: 20 } },
    });
    streamed = await proxy.client('proxied');
    polled = await proxy.client('polled');
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });

  it("republishes the upstream's card under the gateway's URL, with its skills", async () => {
    const response = await fetch(`${proxy.url}/agents/proxied/.well-known/agent-card.json`);
    expect(response.status).toBe(200);
    const card: JsonBody = await response.json();
    expect(card.name).toBe('Reference upstream');
    expect(card.version).toBe('1.2.3');
    expect(card.provider).toEqual({
      organization: 'A2A gateway tests',
      url: 'https://example.org/tests',
    });
    expect(card.skills.map((skill: { id: string }) => skill.id)).toEqual(['echo']);
    expect(card.supportedInterfaces[0].url).toBe(`${proxy.url}/agents/proxied`);
    expect(card.capabilities.streaming).toBe(true);
  });

  it('records the card it republishes, with the digest of what it fetched', async () => {
    const health = await proxy.health();
    expect(health.agents.proxied).toMatchObject({ status: 'up', breaker: 'closed' });
    const store = proxy.gateway.gateway.store;
    // Recorded beside start-up, not before it: it may land a moment after the gateway listens.
    await eventually(async () => (await store.readStream('agent-proxied')).length > 0);
    const events = await store.readStream('agent-proxied');
    expect(events.map((event) => event.type)).toEqual(['agent.card_observed']);
    const recorded = events[0]!.data as JsonBody;
    expect(recorded).toMatchObject({
      agent: 'proxied',
      kind: 'a2a',
      origin: upstream.cardUrl,
      version: '1.2.3',
      skills: ['echo'],
    });
    expect(recorded.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stores a blocking send in two commits: the submission with its claim, then the answer', async () => {
    const task = asTask(await streamed.sendMessage(send(say('two commits'))));
    const response = await fetch(`${proxy.url}/tasks/${task.id}/events`);
    const { events } = (await response.json()) as { events: { type: string; position: number }[] };
    // A position is the commit's transaction id × 2^16 plus the event's place in it.
    const commits = new Map<number, string[]>();
    for (const event of events) {
      const commit = Math.floor(event.position / 2 ** 16);
      commits.set(commit, [...(commits.get(commit) ?? []), event.type]);
    }
    expect([...commits.values()]).toEqual([
      ['task.submitted', 'task.execution_started'],
      ['task.delegated', 'task.artifact_appended', 'task.status_changed'],
    ]);
  });

  it('blocking send: the task completes with the upstream artifacts; the audit names the upstream task', async () => {
    const task = asTask(await streamed.sendMessage(send(say('hello upstream'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(task)).toEqual(['hello upstream']);

    const events = await proxy.audit(task.id);
    const delegated = events.find((event) => event.type === 'task.delegated');
    expect(delegated?.data).toMatchObject({
      cardUrl: upstream.cardUrl,
      cardVersion: '1.2.3',
      protocolVersion: '1.0',
    });
    expect(delegated?.data.cardDigest).toMatch(/^[0-9a-f]{64}$/);
    const remoteTaskId: string = delegated?.data.remoteTaskId;
    expect(upstream.stateOf(remoteTaskId)).toBe('TASK_STATE_COMPLETED');
    const started = events.find((event) => event.type === 'task.execution_started');
    expect(started?.data.executor).toBe(`a2a:${upstream.cardUrl}`);
  });

  it('forwards the message with its own derived id, no task ids, and the delegation trace', async () => {
    const before = upstream.received('SendStreamingMessage').length;
    await streamed.sendMessage(send(say('trace me')));
    const sent = upstream.received('SendStreamingMessage')[before]!;
    expect(sent.headers['a2a-version']).toBe('1.0');
    const message = sent.body.params.message;
    expect(message.messageId).toMatch(/^gw-[0-9a-f]{32}$/);
    expect(message.taskId ?? '').toBe('');
    expect(message.contextId ?? '').toBe('');
    expect(message.parts).toEqual([{ text: 'trace me' }]);
    const trace: string[] = message.metadata['a2a-gateway/trace'];
    expect(trace).toHaveLength(1);
    expect(trace[0]).toMatch(/\/proxied$/);
  });

  it('streaming: each upstream chunk arrives as an SSE event of ours, then completion', async () => {
    const kinds: string[] = [];
    const chunks: string[] = [];
    let last: unknown;
    for await (const event of streamed.sendMessageStream(send(say('/stream 4')))) {
      const payload = event.payload;
      kinds.push(payload?.$case ?? '?');
      if (payload?.$case === 'artifactUpdate') {
        const part = payload.value.artifact?.parts[0]?.content;
        chunks.push(part?.$case === 'text' ? part.value : '');
      }
      last = payload?.$case === 'statusUpdate' ? payload.value.status?.state : last;
    }
    expect(chunks).toEqual(['chunk 0 ', 'chunk 1 ', 'chunk 2 ', 'chunk 3 ']);
    expect(last).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(kinds[0]).toBe('task');
  });

  it('polling ("streaming": "never"): SendMessage returning at once, then GetTask until done', async () => {
    const before = upstream.received('GetTask').length;
    const task = asTask(await polled.sendMessage(send(say('/stream 3'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(task)).toEqual(['chunk 0 chunk 1 chunk 2 ']);
    const sends = upstream.received('SendMessage');
    expect(sends.at(-1)?.body.params.configuration).toEqual({ returnImmediately: true });
    expect(upstream.received('GetTask').length).toBeGreaterThan(before);
    expect(
      upstream
        .received('SendStreamingMessage')
        .every((r) => !r.body.params.message.parts[0].text.startsWith('/stream 3')),
    ).toBe(true);
  });

  it.each([
    ['streaming', () => streamed],
    ['polling', () => polled],
  ])(
    'input-required (%s), then a follow-up continues the same upstream task',
    async (_, client) => {
      const first = asTask(await client().sendMessage(send(say('/input'))));
      expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      expect(statusText(first)).toBe('What should I echo?');
      const second = asTask(
        await client().sendMessage(send(say('the answer', { taskId: first.id }))),
      );
      expect(second.id).toBe(first.id);
      expect(second.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactTexts(second)).toEqual(['the answer']);

      const delegations = (await proxy.audit(first.id)).filter((e) => e.type === 'task.delegated');
      // One upstream task for both turns.
      expect(delegations).toHaveLength(1);
      const remote = delegations[0]!.data;
      const followUp = upstream.requests.findLast(
        (r) => r.body.params?.message?.parts?.[0]?.text === 'the answer',
      );
      expect(followUp?.body.params.message.taskId).toBe(remote.remoteTaskId);
      expect(followUp?.body.params.message.contextId).toBe(remote.remoteContextId);
      expect(upstream.stateOf(remote.remoteTaskId)).toBe('TASK_STATE_COMPLETED');
    },
  );

  it.each([
    ['streaming', () => streamed],
    ['polling', () => polled],
  ])('cancel (%s) is forwarded: the upstream task is canceled too', async (_, client) => {
    const task = asTask(await client().sendMessage(send(say('/sleep'), true)));
    let remoteTaskId = '';
    await eventually(async () => {
      const events = await proxy.audit(task.id);
      remoteTaskId = events.find((e) => e.type === 'task.delegated')?.data.remoteTaskId ?? '';
      return remoteTaskId !== '' && upstream.stateOf(remoteTaskId) === 'TASK_STATE_WORKING';
    });
    const canceled = await client().cancelTask({ id: task.id, tenant: '', metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await eventually(() => upstream.stateOf(remoteTaskId) === 'TASK_STATE_CANCELED');
    const after = await waitForState(client(), task.id, TaskState.TASK_STATE_CANCELED);
    expect(after.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });

  it('an upstream Message reply becomes ours', async () => {
    const result = await streamed.sendMessage(send(say('/reply good day')));
    expect('status' in result).toBe(false);
    const parts = 'parts' in result ? result.parts : [];
    expect(parts[0]?.content).toEqual({ $case: 'text', value: 'good day' });
  });

  it.each([
    ['/fail', TaskState.TASK_STATE_FAILED, 'failed on request (/fail)'],
    ['/reject', TaskState.TASK_STATE_REJECTED, 'rejected on request (/reject)'],
  ])('%s upstream ends our task the same way, with its message', async (text, state, said) => {
    const task = asTask(await polled.sendMessage(send(say(text))));
    expect(task.status?.state).toBe(state);
    expect(statusText(task)).toBe(said);
  });

  it('an upstream that cancels the task on its own fails ours, saying so', async () => {
    const task = asTask(await streamed.sendMessage(send(say('/cancel-self'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(statusText(task)).toBe(
      `upstream ${upstream.cardUrl} canceled the task: I canceled this myself`,
    );
  });
});
