import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpc, startTestGateway, type TestGateway, userMessage } from '../support/gateway.js';
import { readSse } from '../support/sse.js';

const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';
const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';

/**
 * The JSON-RPC binding's error table (§9.5, §5.4), driven over raw HTTP for what a client
 * library will not send: malformed JSON, wrong types, huge bodies, wrong headers.
 */
describe('JSON-RPC errors and edge cases over raw HTTP', () => {
  let gateway: TestGateway;
  let endpoint: string;
  let calls = 0;
  const call = (method: string, params: unknown, headers?: Record<string, string>) =>
    rpc(endpoint, { jsonrpc: '2.0', id: ++calls, method, params }, headers);
  const completedTask = async () =>
    (await call('SendMessage', { message: userMessage('done') })).body.result.task;

  beforeAll(async () => {
    gateway = await startTestGateway({ env: { MAX_BODY_BYTES: '65536' } });
    endpoint = `${gateway.url}/agents/echo`;
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('answers malformed JSON with -32700 Parse error and id null', async () => {
    const { status, body } = await rpc(endpoint, '{"jsonrpc": "2.0", "method": ');
    expect(status).toBe(200);
    expect(body).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Invalid JSON payload' },
    });
  });

  it('answers an invalid envelope with -32600 Invalid Request', async () => {
    for (const bad of [
      { jsonrpc: '1.0', id: 1, method: 'GetTask' },
      { jsonrpc: '2.0', id: 2 },
      42,
      [],
    ]) {
      const { body } = await rpc(endpoint, bad);
      expect(body.error.code).toBe(-32600);
    }
  });

  it('answers an unknown method with -32601', async () => {
    const { body } = await call('tasks/doSomething', {});
    expect(body.error.code).toBe(-32601);
    expect(body.id).toBe(calls);
  });

  it('answers invalid params with -32602 naming the offending field in error.data', async () => {
    const cases: [string, unknown, string][] = [
      ['SendMessage', { message: { ...userMessage('x'), parts: [] } }, 'message.parts'],
      ['SendMessage', { message: { ...userMessage('x'), role: 'user' } }, 'message.role'],
      [
        'SendMessage',
        { message: { ...userMessage('x'), parts: [{ text: 'a', data: {} }] } },
        'message.parts[0]',
      ],
      ['GetTask', { id: 'x', historyLength: -1 }, 'historyLength'],
      ['ListTasks', { pageSize: 500 }, 'pageSize'],
      ['GetTask', {}, 'id'],
      ['GetTask', 'not an object', 'params'],
    ];
    for (const [method, params, field] of cases) {
      const { body } = await call(method, params);
      expect(body.error.code, `${method} ${JSON.stringify(params)}`).toBe(-32602);
      const violation = body.error.data.find(
        (detail: { '@type': string }) => detail['@type'] === BAD_REQUEST,
      );
      expect(violation.fieldViolations[0].field).toBe(field);
    }
  });

  it('carries an ErrorInfo with the A2A reason in error.data (§9.5)', async () => {
    const { body } = await call('GetTask', { id: 'no-such-task' });
    expect(body.error.code).toBe(-32001);
    expect(body.error.data).toContainEqual({
      '@type': ERROR_INFO,
      reason: 'TASK_NOT_FOUND',
      domain: 'a2a-protocol.org',
      metadata: { taskId: 'no-such-task' },
    });
    expect(Object.keys(body.error).sort()).toEqual(['code', 'data', 'message']);
  });

  it('answers TaskNotCancelable (-32002) for a finished task and UnsupportedOperation (-32004) for a message to it', async () => {
    const task = await completedTask();
    expect((await call('CancelTask', { id: task.id })).body.error.code).toBe(-32002);
    const followUp = await call('SendMessage', {
      message: userMessage('more', { taskId: task.id }),
    });
    expect(followUp.body.error.code).toBe(-32004);
  });

  it('answers push-notification calls with -32001 for what does not exist, -32602 for a bad webhook', async () => {
    const task = await completedTask();
    for (const [method, params] of [
      ['GetTaskPushNotificationConfig', { taskId: task.id, id: 'p' }],
      ['ListTaskPushNotificationConfigs', { taskId: 'no-such-task' }],
      ['DeleteTaskPushNotificationConfig', { taskId: 'no-such-task', id: 'p' }],
    ] as const) {
      expect((await call(method, params)).body.error.code, method).toBe(-32001);
    }
    const bad = await call('CreateTaskPushNotificationConfig', {
      taskId: task.id,
      url: 'file:///etc/passwd',
    });
    expect(bad.body.error).toMatchObject({ code: -32602, message: expect.stringMatching(/file:/) });
    expect(bad.body.error.data).toContainEqual({
      '@type': BAD_REQUEST,
      fieldViolations: [{ field: 'url', description: bad.body.error.message }],
    });
    const inline = await call('SendMessage', {
      message: userMessage('x'),
      configuration: { taskPushNotificationConfig: { url: 'http://127.0.0.1/hook' } },
    });
    expect(inline.body.error.code).toBe(-32602);
  });

  it('answers GetExtendedAgentCard with -32004 while the card says extendedAgentCard: false', async () => {
    expect((await call('GetExtendedAgentCard', {})).body.error.code).toBe(-32004);
    expect(
      (await rpc(endpoint, { jsonrpc: '2.0', id: 9, method: 'GetExtendedAgentCard' })).body.error
        .code,
    ).toBe(-32004);
  });

  it('refuses SubscribeToTask on a terminal task with a plain JSON error, not a stream', async () => {
    const task = await completedTask();
    const read = await readSse(endpoint, {
      body: { jsonrpc: '2.0', id: 5, method: 'SubscribeToTask', params: { id: task.id } },
    });
    expect(read.contentType).toContain('application/json');
    expect(read.data[0].error.code).toBe(-32004);
  });

  it('answers a body that is not JSON with -32005 ContentTypeNotSupported', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'a2a-version': '1.0' },
      body: "{'jsonrpc': '2.0'}",
    });
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32005);
  });

  it('answers a part whose media type the agent does not accept with -32005 naming the part', async () => {
    const { body } = await rpc(`${gateway.url}/agents/text-only`, {
      jsonrpc: '2.0',
      id: 1,
      method: 'SendMessage',
      params: {
        message: {
          ...userMessage('x'),
          parts: [{ raw: 'JVBERi0=', mediaType: 'application/pdf' }],
        },
      },
    });
    expect(body.error.code).toBe(-32005);
    expect(JSON.stringify(body.error.data)).toContain('message.parts[0].mediaType');
    const text = await rpc(`${gateway.url}/agents/text-only`, {
      jsonrpc: '2.0',
      id: 2,
      method: 'SendMessage',
      params: { message: userMessage('plain text is fine') },
    });
    expect(text.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('negotiates A2A-Version: 1.0 and its patches, and refuses others with -32009 (§3.6)', async () => {
    expect((await call('GetTask', { id: 'x' }, { 'a2a-version': '1.0.3' })).body.error.code).toBe(
      -32001,
    );
    const refused = await call('GetTask', { id: 'x' }, { 'a2a-version': '99.0' });
    expect(refused.body.error.code).toBe(-32009);
    expect(refused.body.id).toBe(calls);
  });

  it('treats a request without A2A-Version as 0.3: 0.3 names and shapes, translated at the edge', async () => {
    const v03 = (body: unknown) =>
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(
        async (response) =>
          (await response.json()) as { result?: Record<string, unknown>; error?: { code: number } },
      );
    const sent = await v03({
      jsonrpc: '2.0',
      id: 1,
      method: 'message/send',
      params: {
        message: {
          kind: 'message',
          messageId: 'v03-raw',
          role: 'user',
          parts: [{ kind: 'text', text: 'old school' }],
        },
      },
    });
    expect(sent.result).toMatchObject({ kind: 'task', status: { state: 'completed' } });
    const got = await v03({
      jsonrpc: '2.0',
      id: 2,
      method: 'tasks/get',
      params: { id: sent.result?.id },
    });
    expect(got.result).toMatchObject({ kind: 'task', id: sent.result?.id });
    expect(
      (await v03({ jsonrpc: '2.0', id: 3, method: 'GetTask', params: { id: 'x' } })).error?.code,
    ).toBe(-32601);
    const invalid = await v03({
      jsonrpc: '2.0',
      id: 4,
      method: 'message/send',
      params: {
        message: {
          kind: 'message',
          messageId: 'v03-bad',
          role: 'user',
          parts: [{ text: 'no kind' }],
        },
      },
    });
    expect(invalid.error?.code).toBe(-32602);
  });

  it('refuses a body over MAX_BODY_BYTES before parsing it, declared or chunked', async () => {
    const huge = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'SendMessage',
      params: { message: userMessage('x'.repeat(70_000)) },
    });
    const declared = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
      body: huge,
    });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { code: number } }).error.code).toBe(-32600);
    const chunked = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
      body: new Blob([huge]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('stores nothing for a refused request', async () => {
    const contextId = `refused-${Date.now()}`;
    await call('SendMessage', { message: { ...userMessage('x', { contextId }), parts: [] } });
    await rpc(`${gateway.url}/agents/text-only`, {
      jsonrpc: '2.0',
      id: 1,
      method: 'SendMessage',
      params: {
        message: {
          ...userMessage('x', { contextId }),
          parts: [{ raw: 'AA==', mediaType: 'image/png' }],
        },
      },
    });
    expect((await call('ListTasks', { contextId })).body.result.totalSize).toBe(0);
  });

  it('answers a notification (no id) with no body', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'GetTask', params: { id: 'x' } }),
    });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  it('answers a batch element by element, and refuses streaming methods inside one', async () => {
    const { body } = await rpc(endpoint, [
      { jsonrpc: '2.0', id: 'a', method: 'GetTask', params: { id: 'missing' } },
      { jsonrpc: '2.0', id: 'b', method: 'ListTasks', params: { pageSize: 1 } },
      { jsonrpc: '2.0', method: 'GetTask', params: { id: 'notification' } },
      {
        jsonrpc: '2.0',
        id: 'c',
        method: 'SendStreamingMessage',
        params: { message: userMessage('x') },
      },
    ]);
    expect(body).toHaveLength(3);
    expect(body[0]).toMatchObject({ id: 'a', error: { code: -32001 } });
    expect(body[1]).toMatchObject({ id: 'b', result: { pageSize: 1 } });
    expect(body[2]).toMatchObject({ id: 'c', error: { code: -32600 } });
  });

  it('ignores unknown fields and accepts ProtoJSON proto names (history_length) (DM-SERIAL-005)', async () => {
    const sent = await call('SendMessage', { message: userMessage('fields'), somethingNew: true });
    const task = sent.body.result.task;
    const { body } = await call('GetTask', { id: task.id, history_length: 0 });
    expect(body.result.id).toBe(task.id);
    expect(body.result.history).toBeUndefined();
  });

  it('returns an internal error without details when something unexpected breaks', async () => {
    const broken = await startTestGateway();
    try {
      await broken.gateway.store.close();
      const { body } = await rpc(`${broken.url}/agents/echo`, {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message: userMessage('x') },
      });
      expect(body.error).toEqual({ code: -32603, message: 'Internal error' });
    } finally {
      await broken.stop();
    }
  });
});
