import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskState } from '@a2a-js/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/collect.js';
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

const quickRetries = { attempts: 1, initialDelayMs: 20, maxDelayMs: 50 };

describe('an upstream that crashes: failures, the circuit breaker, recovery', () => {
  let upstream: UpstreamAgent;
  let proxy: ProxyGateway;

  beforeAll(async () => {
    upstream = await startUpstreamAgent();
    proxy = await startProxyGateway({
      fragile: {
        cardUrl: upstream.cardUrl,
        retry: quickRetries,
        breaker: { failureThreshold: 3, openMs: 1_500 },
      },
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });

  it('fails the task it was running, opens after repeated failures, fails fast, recovers half-open', async () => {
    const client = await proxy.client('fragile');
    const unavailable = `upstream ${upstream.cardUrl} unavailable: `;

    // A task sleeping upstream when the upstream goes away: ours fails, saying why.
    const sleeping = asTask(await client.sendMessage(send(say('/sleep'), true)));
    await eventually(async () => {
      const events = await proxy.audit(sleeping.id);
      const remote = events.find((e) => e.type === 'task.delegated')?.data.remoteTaskId;
      return remote !== undefined && upstream.stateOf(remote) === 'TASK_STATE_WORKING';
    });
    await upstream.stop();
    const failed = await waitForState(client, sleeping.id, TaskState.TASK_STATE_FAILED);
    expect(statusText(failed)).toContain(unavailable);

    // More sends fail while it is down, until the breaker opens.
    for (let i = 0; i < 10; i++) {
      if ((await proxy.health()).agents.fragile.breaker === 'open') break;
      const task = asTask(await client.sendMessage(send(say(`while down ${i}`))));
      expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
      expect(statusText(task)).toContain(unavailable);
    }
    const open = (await proxy.health()).agents.fragile;
    expect(open).toMatchObject({ status: 'down', breaker: 'open' });
    expect(open.detail).toMatch(/^circuit open after \d+ failures; next try in \d+ s$/);

    // Open: a send fails at once, without trying the upstream.
    const fast = asTask(await client.sendMessage(send(say('not even tried'))));
    expect(fast.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(statusText(fast)).toMatch(
      /unavailable: circuit open after \d+ failures; next try in \d+ s$/,
    );

    // After openMs one call may try; the upstream is back, so it closes the breaker.
    await eventually(
      async () => (await proxy.health()).agents.fragile.breaker === 'half-open',
      15_000,
    );
    expect((await proxy.health()).agents.fragile.status).toBe('degraded');
    await upstream.restart();
    const back = asTask(await client.sendMessage(send(say('back again'))));
    expect(back.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactTexts(back)).toEqual(['back again']);
    expect((await proxy.health()).agents.fragile).toMatchObject({
      status: 'up',
      breaker: 'closed',
    });
  });
});

describe('an upstream that answers garbage', () => {
  let upstream: UpstreamAgent;
  let proxy: ProxyGateway;

  beforeAll(async () => {
    upstream = await startUpstreamAgent();
    proxy = await startProxyGateway({
      garbled: {
        cardUrl: upstream.cardUrl,
        retry: quickRetries,
        breaker: { failureThreshold: 3, openMs: 60_000 },
      },
      'garbled-polled': {
        cardUrl: upstream.cardUrl,
        streaming: 'never',
        retry: quickRetries,
        breaker: { failureThreshold: 100, openMs: 60_000 },
      },
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.close();
  });

  it.each([
    ['not-json', /SendMessage: not JSON: "<html><body>Bad gateway/],
    ['not-jsonrpc', /SendMessage: not a JSON-RPC 2.0 response/],
    ['invalid-task', /SendMessage: invalid result: /],
  ] as const)('%s: the task fails, naming what was wrong', async (mode, what) => {
    upstream.garbage = mode;
    try {
      const client = await proxy.client('garbled-polled');
      const task = asTask(await client.sendMessage(send(say(`garbage ${mode}`))));
      expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
      expect(statusText(task)).toContain(
        `upstream ${upstream.cardUrl} returned an invalid response: `,
      );
      expect(statusText(task)).toMatch(what);
    } finally {
      upstream.garbage = undefined;
    }
  });

  it('garbage in a stream fails the task, and counts against the breaker', async () => {
    const client = await proxy.client('garbled');
    upstream.garbage = 'invalid-task';
    try {
      for (let i = 0; i < 3; i++) {
        const task = asTask(await client.sendMessage(send(say(`streamed garbage ${i}`))));
        expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
        expect(statusText(task)).toMatch(/returned an invalid response: SendStreamingMessage: /);
      }
      expect((await proxy.health()).agents.garbled.breaker).toBe('open');
    } finally {
      upstream.garbage = undefined;
    }
  });
});

describe('streams that go quiet, and runs resumed after a restart', () => {
  let upstream: UpstreamAgent;
  let quiet: UpstreamAgent;

  beforeAll(async () => {
    upstream = await startUpstreamAgent({ heartbeatMs: 100 });
    quiet = await startUpstreamAgent();
  });
  afterAll(async () => {
    await upstream?.close();
    await quiet?.close();
  });

  it('heartbeats keep a slow stream alive; a silent one is resubscribed, and the task still completes', async () => {
    const proxy = await startProxyGateway({
      beating: { cardUrl: upstream.cardUrl, requestTimeoutMs: 1_000, retry: quickRetries },
      silent: {
        cardUrl: quiet.cardUrl,
        requestTimeoutMs: 1_000,
        retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 50 },
      },
    });
    try {
      const beating = asTask(
        await (await proxy.client('beating')).sendMessage(send(say('/delay 2500 kept alive'))),
      );
      expect(beating.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactTexts(beating)).toEqual(['kept alive']);
      expect(upstream.received('SubscribeToTask')).toEqual([]);

      const silent = asTask(
        await (await proxy.client('silent')).sendMessage(send(say('/delay 2500 picked up'))),
      );
      expect(silent.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactTexts(silent)).toEqual(['picked up']);
      expect(quiet.received('SubscribeToTask').length).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  it('a run resumed after a restart follows the upstream task instead of sending again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'upstream-resume-'));
    const env = { DATA_DIR: dataDir, DATABASE_SCHEMA: 'resume', INSTANCE_ID: 'resume-test' };
    const agents = { resumable: { cardUrl: upstream.cardUrl } };
    let proxy = await startProxyGateway(agents, env);
    try {
      const client = await proxy.client('resumable');
      const text = `/delay 3000 resumed ${Date.now()}`;
      const task = asTask(await client.sendMessage(send(say(text), true)));
      let remoteTaskId = '';
      await eventually(async () => {
        const events = await proxy.audit(task.id);
        remoteTaskId = events.find((e) => e.type === 'task.delegated')?.data.remoteTaskId ?? '';
        return remoteTaskId !== '';
      });
      await proxy.stop();
      // A shutdown does not cancel upstream: the task goes on there.
      expect(upstream.stateOf(remoteTaskId)).not.toBe('TASK_STATE_CANCELED');

      proxy = await startProxyGateway(agents, env);
      const resumed = await waitForState(
        await proxy.client('resumable'),
        task.id,
        TaskState.TASK_STATE_COMPLETED,
      );
      expect(artifactTexts(resumed)).toEqual([text.replace(/^\/delay 3000 /, '')]);
      const sends = upstream.requests.filter(
        (r) => r.body.params?.message?.parts?.[0]?.text === text,
      );
      expect(sends).toHaveLength(1);
      const started = (await proxy.audit(task.id)).filter(
        (e) => e.type === 'task.execution_started',
      );
      expect(started.map((e) => e.data.resumed)).toEqual([false, true]);
    } finally {
      await proxy.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
    // Two gateway starts on an embedded database: generous on a busy machine.
  }, 120_000);
});
