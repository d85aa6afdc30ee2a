import { createHash } from 'node:crypto';
import { type TaskPushNotificationConfig, TaskState } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { JsonRpcTaskNotFoundError } from '@a2a-js/sdk/errors';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import { type JsonBody, rpc, startTestGateway, type TestGateway } from '../support/gateway.js';
import { asTask, jsonRpcSdkClient, sdkMessage, sdkSend } from '../support/sdk.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

/** A webhook config in the SDK's shape (every field present). */
function hook(
  receiver: WebhookReceiver,
  path: string,
  extra: Partial<TaskPushNotificationConfig> = {},
): TaskPushNotificationConfig {
  return {
    tenant: '',
    id: '',
    taskId: '',
    url: `${receiver.origin}${path}`,
    token: '',
    authentication: undefined,
    ...extra,
  };
}

describe('push notifications end to end: a real gateway, the SDK client, loopback webhooks', () => {
  let gateway: TestGateway;
  let client: Client;
  let receiver: WebhookReceiver;
  let flaky: WebhookReceiver;
  let down: WebhookReceiver;
  let moved: WebhookReceiver;
  let endpoint: string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    flaky = await startWebhookReceiver();
    down = await startWebhookReceiver();
    moved = await startWebhookReceiver();
    // Only these ports of loopback are allowed: every other loopback URL is refused.
    const allowed = [receiver, flaky, down, moved].map((r) => `127.0.0.1:${r.port}`).join(',');
    gateway = await startTestGateway({
      env: {
        PUSH_ALLOW_HOSTS: allowed,
        PUSH_RETRY_BASE_MS: '20',
        PUSH_RETRY_MAX_MS: '100',
        PUSH_MAX_ATTEMPTS: '3',
      },
    });
    client = await jsonRpcSdkClient(gateway.url);
    endpoint = `${gateway.url}/agents/echo`;
  });
  afterAll(async () => {
    await gateway?.stop();
    for (const r of [receiver, flaky, down, moved]) await r?.close();
  });

  /** A task waiting for input: it stays open for configs and updates. */
  async function openTask(): Promise<string> {
    const task = asTask(await client.sendMessage(sdkSend(sdkMessage('/input'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    return task.id;
  }

  const call = (method: string, params: unknown, url = endpoint): Promise<JsonBody> =>
    rpc(url, { jsonrpc: '2.0', id: 1, method, params }).then((r) => r.body);

  it('says so on the card, and serves the keys that verify notifications', async () => {
    const card: JsonBody = await (await fetch(`${gateway.url}/.well-known/agent-card.json`)).json();
    expect(card.capabilities.pushNotifications).toBe(true);
    const jwks: JsonBody = await (await fetch(`${gateway.url}/.well-known/jwks.json`)).json();
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('creates, gets, lists and deletes configs; delete is idempotent (§3.1.7–§3.1.10)', async () => {
    const taskId = await openTask();
    const created = await client.createTaskPushNotificationConfig(
      hook(receiver, '/crud', {
        taskId,
        id: 'mine',
        token: 'tok-1',
        authentication: { scheme: 'Bearer', credentials: 'cred-1' },
      }),
    );
    expect(created).toMatchObject({ id: 'mine', taskId, url: `${receiver.origin}/crud` });
    // Without an id, the server assigns one.
    const assigned = await client.createTaskPushNotificationConfig(
      hook(receiver, '/crud-2', { taskId }),
    );
    expect(assigned.id).toMatch(/^[0-9a-f-]{36}$/);

    const got = await client.getTaskPushNotificationConfig({ taskId, id: 'mine', tenant: '' });
    expect(got).toMatchObject({
      id: 'mine',
      taskId,
      token: 'tok-1',
      authentication: { scheme: 'Bearer', credentials: 'cred-1' },
    });
    const listed = await client.listTaskPushNotificationConfig({
      taskId,
      tenant: '',
      pageSize: 0,
      pageToken: '',
    });
    expect(listed.configs.map((c) => c.id)).toEqual(['mine', assigned.id]);
    const firstPage = await call('ListTaskPushNotificationConfigs', { taskId, pageSize: 1 });
    expect(firstPage.result.configs.map((c: { id: string }) => c.id)).toEqual(['mine']);
    const secondPage = await call('ListTaskPushNotificationConfigs', {
      taskId,
      pageSize: 1,
      pageToken: firstPage.result.nextPageToken,
    });
    expect(secondPage.result.configs.map((c: { id: string }) => c.id)).toEqual([assigned.id]);
    expect(secondPage.result.nextPageToken ?? '').toBe('');

    await client.deleteTaskPushNotificationConfig({ taskId, id: 'mine', tenant: '' });
    await client.deleteTaskPushNotificationConfig({ taskId, id: 'mine', tenant: '' });
    await expect(
      client.getTaskPushNotificationConfig({ taskId, id: 'mine', tenant: '' }),
    ).rejects.toBeInstanceOf(JsonRpcTaskNotFoundError);
    const after = await client.listTaskPushNotificationConfig({
      taskId,
      tenant: '',
      pageSize: 0,
      pageToken: '',
    });
    expect(after.configs.map((c) => c.id)).toEqual([assigned.id]);
  });

  it('keeps configs of an ended task readable and deletable', async () => {
    const done = asTask(await client.sendMessage(sdkSend(sdkMessage('finished'))));
    await client.createTaskPushNotificationConfig(
      hook(receiver, '/late', { taskId: done.id, id: 'late' }),
    );
    const got = await client.getTaskPushNotificationConfig({
      taskId: done.id,
      id: 'late',
      tenant: '',
    });
    expect(got.id).toBe('late');
    await client.deleteTaskPushNotificationConfig({ taskId: done.id, id: 'late', tenant: '' });
  });

  it('answers TaskNotFoundError for an unknown task, or a task of another tenant', async () => {
    const unknown = { taskId: 'no-such-task', id: 'x' };
    for (const [method, params] of [
      ['CreateTaskPushNotificationConfig', { ...unknown, url: `${receiver.origin}/x` }],
      ['GetTaskPushNotificationConfig', unknown],
      ['ListTaskPushNotificationConfigs', { taskId: unknown.taskId }],
      ['DeleteTaskPushNotificationConfig', unknown],
    ] as const) {
      expect((await call(method, params)).error?.code, method).toBe(-32001);
    }
    const acme = `${gateway.url}/acme/agents/echo`;
    const sent = await call(
      'SendMessage',
      { message: { messageId: 'acme-1', role: 'ROLE_USER', parts: [{ text: '/input' }] } },
      acme,
    );
    const taskId = sent.result.task.id as string;
    expect(
      (
        await call(
          'CreateTaskPushNotificationConfig',
          { taskId, url: `${receiver.origin}/a` },
          acme,
        )
      ).result.taskId,
    ).toBe(taskId);
    const other = `${gateway.url}/globex/agents/echo`;
    expect((await call('ListTaskPushNotificationConfigs', { taskId }, other)).error?.code).toBe(
      -32001,
    );
    expect((await call('ListTaskPushNotificationConfigs', { taskId })).error?.code).toBe(-32001);
  });

  it('refuses webhook URLs that break the SSRF rules with -32602, saying why (§13.2)', async () => {
    const taskId = await openTask();
    for (const [url, why] of [
      ['http://127.0.0.1:9/hook', /127\.0\.0\.1 is loopback/],
      [`http://localhost:${receiver.port}/hook`, /localhost resolves to .*loopback/],
      ['http://169.254.169.254/latest/meta-data/', /metadata/],
      ['http://10.0.0.1/hook', /private \(10\.0\.0\.0\/8\)/],
      ['http://[::ffff:192.168.1.1]/hook', /private \(192\.168\.0\.0\/16\)/],
      ['file:///etc/passwd', /only http and https.*file:/],
      ['ftp://example.com/hook', /only http and https.*ftp:/],
    ] as const) {
      const answer = await call('CreateTaskPushNotificationConfig', { taskId, url });
      expect(answer.error?.code, url).toBe(-32602);
      expect(answer.error?.message, url).toMatch(why);
    }
    const refused = await call('SendMessage', {
      message: { messageId: 'ssrf-1', role: 'ROLE_USER', parts: [{ text: 'hi' }] },
      configuration: { taskPushNotificationConfig: { url: 'http://10.0.0.1/hook' } },
    });
    expect(refused.error?.code).toBe(-32602);
    expect(JSON.stringify(refused.error?.data)).toContain(
      'configuration.taskPushNotificationConfig.url',
    );
  });

  it('delivers a task’s updates in order, with the token, a verifiable JWT and the body’s hash', async () => {
    const before = receiver.received.length;
    const sent = sdkMessage('/stream 3');
    const task = asTask(
      await client.sendMessage({
        ...sdkSend(sent),
        configuration: {
          returnImmediately: false,
          acceptedOutputModes: [],
          historyLength: undefined,
          taskPushNotificationConfig: hook(receiver, '/ordered', {
            token: 'tok-ordered',
            authentication: { scheme: 'Bearer', credentials: 'cred-ordered' },
          }),
        },
      }),
    );
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    await eventually(() =>
      receiver.received
        .slice(before)
        .some((r) => JSON.parse(r.body).statusUpdate?.status?.state === 'TASK_STATE_COMPLETED'),
    );
    const got = receiver.received.slice(before).filter((r) => r.path === '/ordered');
    const bodies = got.map((r) => JSON.parse(r.body));
    const chunks = bodies.flatMap((b) =>
      b.artifactUpdate ? b.artifactUpdate.artifact.parts.map((p: { text: string }) => p.text) : [],
    );
    expect(chunks.length).toBe(3);
    expect(bodies.at(-1).statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');
    // Every update names the task; each artifact chunk comes before the completion.
    for (const body of bodies) expect(Object.values(body)[0]).toMatchObject({ taskId: task.id });
    const completedAt = bodies.findIndex(
      (b) => b.statusUpdate?.status?.state === 'TASK_STATE_COMPLETED',
    );
    expect(completedAt).toBe(bodies.length - 1);

    const jwks = createRemoteJWKSet(new URL(`${gateway.url}/.well-known/jwks.json`));
    const ids = new Set<string>();
    for (const request of got) {
      expect(request.headers['x-a2a-notification-token']).toBe('tok-ordered');
      expect(request.headers.authorization).toBe('Bearer cred-ordered');
      const id = request.headers['x-a2a-notification-id'] as string;
      ids.add(id);
      const { payload } = await jwtVerify(
        request.headers['x-a2a-notification-jwt'] as string,
        jwks,
        {
          issuer: gateway.url,
          audience: `${receiver.origin}/ordered`,
        },
      );
      expect(payload.jti).toBe(id);
      expect(payload.task_id).toBe(task.id);
      expect(payload.body_sha256).toBe(createHash('sha256').update(request.body).digest('hex'));
    }
    expect(ids.size).toBe(got.length);

    // Stored with the submission, in its append: nothing the task did can have passed it.
    const timeline: JsonBody = await (await fetch(`${gateway.url}/tasks/${task.id}/events`)).json();
    const [submitted, configured] = timeline.events;
    expect([submitted.type, configured.type]).toEqual(['task.submitted', 'task.push_config_set']);
    expect(configured.correlationId).toBe(submitted.correlationId);
    // The audit says a secret was set, not what it is.
    expect(configured.data.config).toMatchObject({
      id: task.id,
      token: '[redacted]',
      authentication: { scheme: 'Bearer', credentials: '[redacted]' },
    });
    expect(JSON.stringify(timeline)).not.toContain('cred-ordered');
  });

  it('retries a webhook that answers 503 twice, then 200: one notification, the same id', async () => {
    flaky.answer(503, 503, 200);
    const taskId = await openTask();
    await client.createTaskPushNotificationConfig(hook(flaky, '/flaky', { taskId, id: 'flaky' }));
    await client.sendMessage(sdkSend(sdkMessage('done now', { taskId })));
    await eventually(() => flaky.received.length >= 3);
    // The follow-up causes a working update, then the completion: the first is retried.
    const first = flaky.received.slice(0, 3).map((r) => r.headers['x-a2a-notification-id']);
    expect(new Set(first).size).toBe(1);
    await eventually(() =>
      flaky.received.some(
        (r) => JSON.parse(r.body).statusUpdate?.status?.state === 'TASK_STATE_COMPLETED',
      ),
    );
    expect(await gateway.gateway.bus.deadLetters.list({ states: ['permanent_failure'] })).toEqual(
      [],
    );
  });

  /** The push deliveries of one task that failed for good. */
  const deadLettersOf = async (taskId: string) =>
    (await gateway.gateway.bus.deadLetters.list({ states: ['permanent_failure'] })).filter(
      (entry) => (entry.envelope.payload as { taskId: string }).taskId === taskId,
    );

  it('dead-letters what a webhook keeps failing, after the retry limit', async () => {
    down.answer(500);
    const taskId = await openTask();
    await client.createTaskPushNotificationConfig(hook(down, '/down', { taskId, id: 'down' }));
    await client.sendMessage(sdkSend(sdkMessage('done now', { taskId })));
    const failed = () => deadLettersOf(taskId);
    await eventually(async () => (await failed()).length > 0);
    const [entry] = await failed();
    expect(entry).toMatchObject({ topic: 'push.deliver', group: 'push', attempts: 3 });
    expect(entry!.lastError).toMatch(/answered 500/);
  });

  it('does not follow a redirect from a webhook', async () => {
    // A redirect to an allowed receiver is refused all the same.
    moved.answer((response) =>
      response.writeHead(302, { location: `${receiver.origin}/redirected` }).end(),
    );
    const taskId = await openTask();
    await client.createTaskPushNotificationConfig(hook(moved, '/moved', { taskId, id: 'moved' }));
    await client.sendMessage(sdkSend(sdkMessage('done now', { taskId })));
    const failed = () => deadLettersOf(taskId);
    await eventually(async () => (await failed()).length > 0);
    const [entry] = await failed();
    expect(entry!.lastError).toMatch(/302.*not followed/);
    expect(entry!.attempts).toBe(1);
    expect(receiver.received.some((r) => r.path === '/redirected')).toBe(false);
  });
});

const OFF_HOOK: TaskPushNotificationConfig = {
  tenant: '',
  id: 'p-1',
  taskId: '',
  url: 'https://example.com/hook',
  token: '',
  authentication: undefined,
};

describe('push notifications turned off (PUSH_NOTIFICATIONS=false)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { PUSH_NOTIFICATIONS: 'false' } });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('says so on the card, serves no JWKS, and answers every push method with -32003 (§3.3.4)', async () => {
    const card: JsonBody = await (await fetch(`${gateway.url}/.well-known/agent-card.json`)).json();
    expect(card.capabilities.pushNotifications).toBe(false);
    expect((await fetch(`${gateway.url}/.well-known/jwks.json`)).status).toBe(404);
    const url = `${gateway.url}/agents/echo`;
    for (const [method, params] of [
      ['CreateTaskPushNotificationConfig', { taskId: 't', url: 'https://example.com/hook' }],
      ['GetTaskPushNotificationConfig', { taskId: 't', id: 'p' }],
      ['ListTaskPushNotificationConfigs', { taskId: 't' }],
      ['DeleteTaskPushNotificationConfig', { taskId: 't', id: 'p' }],
    ] as const) {
      const { body } = await rpc(url, { jsonrpc: '2.0', id: 1, method, params });
      expect(body.error?.code, method).toBe(-32003);
    }
    const inline = await rpc(url, {
      jsonrpc: '2.0',
      id: 2,
      method: 'SendMessage',
      params: {
        message: { messageId: 'off-1', role: 'ROLE_USER', parts: [{ text: 'x' }] },
        configuration: { taskPushNotificationConfig: { url: 'https://example.com/hook' } },
      },
    });
    expect(inline.body.error?.code).toBe(-32003);
  });

  it('lets the SDK client see from the card that push is off: it refuses before asking', async () => {
    const client = await jsonRpcSdkClient(gateway.url);
    const task = asTask(await client.sendMessage(sdkSend(sdkMessage('push?'))));
    // The client throws synchronously; Promise.resolve().then turns that into a rejection.
    const refused = (call: () => unknown) =>
      expect(Promise.resolve().then(call)).rejects.toMatchObject({
        name: 'PushNotificationNotSupportedError',
      });
    await refused(() => client.createTaskPushNotificationConfig({ ...OFF_HOOK, taskId: task.id }));
    await refused(() =>
      client.getTaskPushNotificationConfig({ taskId: task.id, id: 'p-1', tenant: '' }),
    );
    await refused(() =>
      client.listTaskPushNotificationConfig({
        taskId: task.id,
        tenant: '',
        pageSize: 10,
        pageToken: '',
      }),
    );
    await refused(() =>
      client.deleteTaskPushNotificationConfig({ taskId: task.id, id: 'p-1', tenant: '' }),
    );
  });
});
