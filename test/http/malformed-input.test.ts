import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { describeEachDatabase } from '../support/services.js';

const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';
const NUL = '\u0000';
const LONE = '\ud800';

/** The field a -32602 answer names in its google.rpc.BadRequest (§9.5). */
function violatedField(body: JsonBody): string | undefined {
  const detail = body.error?.data?.find((d: { '@type': string }) => d['@type'] === BAD_REQUEST);
  return detail?.fieldViolations[0].field;
}

/** A JSON array or object nested `depth` levels deep, as text: JSON.stringify would recurse. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/**
 * Input PostgreSQL cannot store, or that JavaScript objects treat specially, is refused where
 * it enters: -32602 naming the field, -32600 for a body nested past the parser's bound, 404 on
 * the audit route. Before, each of these reached the store or the decoder and came back as
 * -32603 Internal error (or HTTP 500).
 */
describeEachDatabase('malformed input is refused at the edge, on $name', ({ database }) => {
  let gateway: TestGateway;
  let endpoint: string;
  let calls = 0;
  const call = (method: string, params: unknown, headers?: Record<string, string>) =>
    rpc(endpoint, { jsonrpc: '2.0', id: ++calls, method, params }, headers);
  /** An A2A 0.3 request: an empty A2A-Version header counts as none (§3.6). */
  const callV03 = (method: string, params: unknown) =>
    rpc(endpoint, { jsonrpc: '2.0', id: ++calls, method, params }, { 'a2a-version': '' });
  const raw = (text: string, headers?: Record<string, string>) => rpc(endpoint, text, headers);
  const v03Message = (extra: Record<string, unknown> = {}) => ({
    kind: 'message',
    messageId: `v03-${++calls}`,
    role: 'user',
    parts: [{ kind: 'text', text: 'x' }],
    ...extra,
  });

  const expectInvalidParams = (body: JsonBody, field: string, what: string) => {
    expect(body.error?.code, what).toBe(-32602);
    expect(violatedField(body), what).toBe(field);
  };

  beforeAll(async () => {
    gateway = await startTestGateway({ database });
    endpoint = `${gateway.url}/agents/echo`;
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('refuses a NUL character in an id, tenant, context id or text with -32602 naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['GetTask', { id: `a${NUL}b` }, 'id'],
      ['GetTask', { id: 'a', tenant: `t${NUL}` }, 'tenant'],
      ['CancelTask', { id: NUL }, 'id'],
      ['SubscribeToTask', { id: NUL }, 'id'],
      ['ListTasks', { contextId: `c${NUL}` }, 'contextId'],
      ['ListTasks', { tenant: NUL }, 'tenant'],
      ['SendMessage', { message: userMessage('x', { taskId: `t${NUL}` }) }, 'message.taskId'],
      ['SendMessage', { message: userMessage('x', { contextId: NUL }) }, 'message.contextId'],
      ['SendMessage', { message: { ...userMessage('x'), messageId: NUL } }, 'message.messageId'],
      ['SendMessage', { tenant: NUL, message: userMessage('x') }, 'tenant'],
      ['SendMessage', { message: userMessage(`x${NUL}`) }, 'message.parts[0].text'],
      [
        'SendMessage',
        { message: userMessage('x', { metadata: { note: NUL } }) },
        'message.metadata.note',
      ],
      ['GetTaskPushNotificationConfig', { taskId: NUL, id: 'p' }, 'taskId'],
    ];
    for (const [method, params, field] of cases) {
      const { status, body } = await call(method, params);
      expect(status).toBe(200);
      expectInvalidParams(body, field, `${method} ${JSON.stringify(params)}`);
      expect(body.error.message).toContain('NUL');
    }
  });

  it('refuses a lone UTF-16 surrogate in text, ids and free-form keys with -32602 naming the field', async () => {
    const cases: [string, unknown, string][] = [
      ['GetTask', { id: LONE }, 'id'],
      ['ListTasks', { contextId: `c${LONE}` }, 'contextId'],
      ['SendMessage', { message: userMessage(`a${LONE}b`) }, 'message.parts[0].text'],
      [
        'SendMessage',
        { message: { ...userMessage('x'), messageId: '\udc00' } },
        'message.messageId',
      ],
      [
        'SendMessage',
        { message: userMessage('x'), metadata: { [LONE]: 'value' } },
        `metadata.${LONE}`,
      ],
      [
        'SendMessage',
        { message: { ...userMessage('x'), parts: [{ data: { list: ['ok', '\udfff'] } }] } },
        'message.parts[0].data.list[1]',
      ],
    ];
    for (const [method, params, field] of cases) {
      // JSON.stringify escapes a lone surrogate as \ud800, as a client's JSON would carry it.
      const { body } = await call(method, params);
      expectInvalidParams(body, field, `${method} ${JSON.stringify(params)}`);
      expect(body.error.message).toContain('surrogate');
    }
    // A surrogate pair is a character like any other.
    const emoji = await call('SendMessage', { message: userMessage('😀 \ud83d\ude00') });
    expect(emoji.body.result.task.artifacts[0].parts[0].text).toBe('😀 😀');
  });

  it('ignores member-like keys (__proto__, toString, constructor) in fixed-shape objects as unknown fields (§5.7)', async () => {
    const empty = await raw(
      `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"__proto__":{"messageId":"m","role":"ROLE_USER","parts":[{"text":"x"}]}}}}`,
    );
    expectInvalidParams(empty.body, 'message.messageId', 'message made of __proto__ only');
    expectInvalidParams((await call('GetTask', { toString: 1 })).body, 'id', 'toString');
    expectInvalidParams(
      (await raw('{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"__proto__":{"id":"x"}}}'))
        .body,
      'id',
      '__proto__ in params',
    );
    const sent = await raw(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'SendMessage',
        params: {
          toString: 1,
          constructor: 'x',
          hasOwnProperty: null,
          message: { ...userMessage('fine'), valueOf: 2, parts: [{ text: 'fine', toString: 3 }] },
        },
      }).replace('"toString":1', '"toString":1,"__proto__":{"tenant":"elsewhere"}'),
    );
    expect(sent.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    // The __proto__ member did not become the request's tenant.
    expect((await call('GetTask', { id: sent.body.result.task.id })).body.result.id).toBe(
      sent.body.result.task.id,
    );
  });

  it('refuses __proto__ as a key of metadata or data, which a JavaScript object cannot keep', async () => {
    const { body } = await raw(
      `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m-proto","role":"ROLE_USER","parts":[{"data":{"ok":{"__proto__":1}}}]}}}`,
    );
    expectInvalidParams(body, 'message.parts[0].data.ok.__proto__', 'data');
    const metadata = await raw(
      `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m-proto","role":"ROLE_USER","parts":[{"text":"x"}]},"metadata":{"__proto__":{}}}}`,
    );
    expectInvalidParams(metadata.body, 'metadata.__proto__', 'metadata');
    // Other member names are ordinary keys there, and kept.
    const kept = await call('SendMessage', {
      message: userMessage('x', { metadata: { toString: 'a', constructor: 'b' } }),
    });
    const task = (await call('GetTask', { id: kept.body.result.task.id })).body.result;
    expect(task.history[0].metadata).toEqual({ toString: 'a', constructor: 'b' });
  });

  it('answers member-like method names with -32601, in both versions', async () => {
    for (const method of ['__proto__', 'toString', 'constructor', 'hasOwnProperty']) {
      expect((await call(method, {})).body.error.code, method).toBe(-32601);
      expect((await callV03(method, {})).body.error.code, method).toBe(-32601);
    }
  });

  it('refuses free-form values nested deeper than 64 levels with -32602 naming the value', async () => {
    const { body } = await raw(
      `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m-deep","role":"ROLE_USER","parts":[{"data":${nested(65)}}]}}}`,
    );
    expectInvalidParams(body, 'message.parts[0].data', 'data 65 deep');
    expect(body.error.message).toContain('64');
    const atLimit = await raw(
      `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m-deep","role":"ROLE_USER","parts":[{"data":${nested(64)}}]}}}`,
    );
    expect(atLimit.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('refuses a body nested deeper than 100 levels with -32600 before validating it', async () => {
    for (const depth of [101, 3_000, 100_000]) {
      const { status, body } = await raw(
        `{"jsonrpc":"2.0","id":7,"method":"SendMessage","params":{"message":{"messageId":"m","role":"ROLE_USER","parts":[{"text":"x"}],"metadata":${nested(depth)}}}}`,
      );
      expect(status, `${depth}`).toBe(200);
      expect(body.error.code, `${depth}`).toBe(-32600);
      expect(body.error.message).toContain('100');
      expect(body.id).toBe(7);
    }
    const array = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    expect((await raw(array)).body.error.code).toBe(-32600);
  });

  it('refuses the same input sent as A2A 0.3, with its 0.3 field paths', async () => {
    expectInvalidParams((await callV03('tasks/get', { id: NUL })).body, 'id', 'tasks/get NUL');
    expectInvalidParams((await callV03('tasks/cancel', { id: LONE })).body, 'id', 'cancel');
    expectInvalidParams(
      (await callV03('message/send', { message: v03Message({ contextId: NUL }) })).body,
      'message.contextId',
      'message/send contextId',
    );
    expectInvalidParams(
      (
        await callV03('message/send', {
          message: v03Message({ parts: [{ kind: 'text', text: LONE }] }),
        })
      ).body,
      'message.parts[0].text',
      'message/send text',
    );
    const deep = await rpc(
      endpoint,
      `{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"kind":"message","messageId":"v","role":"user","parts":[{"kind":"data","data":{"x":${nested(70)}}}]}}}`,
      { 'a2a-version': '' },
    );
    expectInvalidParams(deep.body, 'message.parts[0].data', 'message/send deep data');
    const proto = await rpc(
      endpoint,
      `{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"kind":"message","messageId":"v","role":"user","parts":[{"kind":"data","data":{"__proto__":{}}}]}}}`,
      { 'a2a-version': '' },
    );
    expectInvalidParams(proto.body, 'message.parts[0].data.__proto__', 'message/send __proto__');
  });

  it('stores nothing for a refused request', async () => {
    const tenant = `refused-${Date.now()}`;
    await call('SendMessage', { tenant, message: userMessage(`x${NUL}`) });
    await call('SendMessage', { tenant, message: userMessage(LONE) });
    await call('SendMessage', { tenant, message: userMessage('x', { metadata: { a: NUL } }) });
    await raw(
      `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"tenant":"${tenant}","message":{"messageId":"m","role":"ROLE_USER","parts":[{"data":${nested(80)}}]}}}`,
    );
    expect((await call('ListTasks', { tenant })).body.result.totalSize).toBe(0);
  });

  it('answers the audit route with 404 for a task id or tenant that cannot exist', async () => {
    for (const path of [
      '/tasks/a%00b/events',
      '/tasks/%00/events',
      '/acme/tasks/a%00/events',
      '/tasks/%ED%A0%80/events',
      '/tasks/__proto__/events',
      '/tasks/constructor/events',
      '/a%00/tasks/x/events',
    ]) {
      const response = await fetch(`${gateway.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: string }).error).toBe('not_found');
    }
  });
});
