import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { A2A_METHODS, type A2aMethod } from '../../src/protocol/index.js';
import { V03_METHOD_TO_V1, type V03Method } from '../../src/protocol/v03/translate.js';
import { junk, mutatedParams, nastyString, toBody } from '../support/fuzz.js';
import {
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { describeEachDatabase } from '../support/services.js';

// A fixed seed, so a failure reproduces; FUZZ_SEED and FUZZ_RUNS explore further.
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_101);
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const TASK = '$TASK'; // replaced by a real, completed task's id

/** Valid v1.0 params of each method, the starting point of every mutation. */
const V1_TEMPLATES: Record<A2aMethod, object> = {
  SendMessage: {
    tenant: '',
    message: {
      messageId: 'fuzz',
      contextId: 'ctx',
      role: 'ROLE_USER',
      parts: [{ text: 'hi', metadata: { k: 'v' } }, { data: { k: [1, 'two'] } }],
      metadata: { k: 'v' },
      extensions: ['urn:x'],
      referenceTaskIds: ['r'],
    },
    configuration: { acceptedOutputModes: ['text/plain'], historyLength: 2 },
    metadata: { k: { nested: true } },
  },
  SendStreamingMessage: {
    message: { messageId: 'fuzz', role: 'ROLE_USER', parts: [{ text: 'hi' }] },
    configuration: { historyLength: 1 },
  },
  GetTask: { tenant: '', id: TASK, historyLength: 1 },
  ListTasks: {
    tenant: '',
    contextId: 'ctx',
    status: 'TASK_STATE_COMPLETED',
    pageSize: 5,
    pageToken: '',
    historyLength: 0,
    statusTimestampAfter: '2020-01-01T00:00:00Z',
    includeArtifacts: true,
  },
  CancelTask: { tenant: '', id: TASK, metadata: { why: 'fuzz' } },
  SubscribeToTask: { tenant: '', id: TASK },
  CreateTaskPushNotificationConfig: {
    taskId: TASK,
    id: 'p',
    url: 'https://example.com/hook',
    token: 't',
    authentication: { scheme: 'Bearer', credentials: 'c' },
  },
  GetTaskPushNotificationConfig: { taskId: TASK, id: 'p' },
  ListTaskPushNotificationConfigs: { taskId: TASK, pageSize: 5, pageToken: '' },
  DeleteTaskPushNotificationConfig: { taskId: TASK, id: 'p' },
  GetExtendedAgentCard: { tenant: '' },
};

const v03Message = {
  kind: 'message',
  messageId: 'fuzz',
  contextId: 'ctx',
  role: 'user',
  parts: [
    { kind: 'text', text: 'hi', metadata: {} },
    { kind: 'data', data: { k: [1] } },
    { kind: 'file', file: { uri: 'https://example.com/f', name: 'f', mimeType: 'text/plain' } },
  ],
  metadata: { k: 'v' },
};

/** Valid A2A 0.3 params of each 0.3 method. */
const V03_TEMPLATES: Record<V03Method, object> = {
  'message/send': { message: v03Message, configuration: { historyLength: 1, blocking: true } },
  'message/stream': { message: v03Message, metadata: { k: 1 } },
  'tasks/get': { id: TASK, historyLength: 1, metadata: {} },
  'tasks/cancel': { id: TASK, metadata: {} },
  'tasks/resubscribe': { id: TASK },
  'tasks/pushNotificationConfig/set': {
    taskId: TASK,
    pushNotificationConfig: {
      id: 'p',
      url: 'https://example.com/hook',
      authentication: { schemes: ['Bearer'], credentials: 'c' },
    },
  },
  'tasks/pushNotificationConfig/get': { id: TASK, pushNotificationConfigId: 'p' },
  'tasks/pushNotificationConfig/list': { id: TASK },
  'tasks/pushNotificationConfig/delete': { id: TASK, pushNotificationConfigId: 'p' },
  'agent/getAuthenticatedExtendedCard': {},
};

const endpointPath = fc.constantFrom('/agents/echo', '/', '/acme/agents/echo', '/agents/text-only');

/** A URL path segment as a client might send it, percent-encoded bytes of any kind included. */
const segment = fc.oneof(
  nastyString.filter((text) => text.length > 0 && text.length < 2_000).map(encodeSegment),
  fc
    .uint8Array({ minLength: 1, maxLength: 6 })
    .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  fc.constantFrom(TASK, '%00', '%ED%A0%80', '__proto__', 'constructor', '..', '%2F'),
);

function encodeSegment(text: string): string {
  return Array.from(text, (char) => {
    try {
      return encodeURIComponent(char);
    } catch {
      return '%ED%A0%80'; // a lone surrogate, as CESU-8 bytes
    }
  }).join('');
}

/**
 * Every JSON-RPC method of both versions and every route, fed generated requests over real
 * HTTP: none may answer HTTP 5xx, anything but JSON-RPC, or -32603 Internal error; and the
 * gateway must still serve an ordinary SendMessage after each batch of runs.
 */
describeEachDatabase('fuzzed requests never break the gateway, on $name', ({ database }) => {
  let gateway: TestGateway;
  let taskId: string;
  let sent = 0;

  beforeAll(async () => {
    gateway = await startTestGateway({ database });
    taskId = (await sendOrdinaryMessage()).id;
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  async function sendOrdinaryMessage() {
    const { status, body } = await rpc(`${gateway.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 'ordinary',
      method: 'SendMessage',
      params: { message: userMessage('still here') },
    });
    expect(status).toBe(200);
    expect(body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    return body.result.task;
  }

  /** The body with the real task's id in place of TASK, which templates and junk hold. */
  const withTask = (text: string) => text.replaceAll(TASK, taskId);

  async function post(path: string, body: string, headers: Record<string, string>) {
    sent += 1;
    const response = await fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: withTask(body),
      signal: AbortSignal.timeout(15_000),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  }

  /** HTTP < 500 and JSON-RPC answers (one, a batch, or SSE events), none of them -32603. */
  function expectJsonRpcAnswer(reply: { status: number; type: string; text: string }) {
    expect(reply.status, reply.text.slice(0, 300)).toBeLessThan(500);
    if (reply.status === 204) return expect(reply.text).toBe(''); // notifications only
    const bodies: JsonBody[] = reply.type.includes('text/event-stream')
      ? reply.text
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => JSON.parse(line.slice(5)))
      : [JSON.parse(reply.text)].flat();
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) {
      expect(body.jsonrpc).toBe('2.0');
      expect(body).toHaveProperty('id');
      expect('result' in body !== 'error' in body, JSON.stringify(body).slice(0, 300)).toBe(true);
      if (body.error) {
        expect(Number.isInteger(body.error.code)).toBe(true);
        expect(body.error.code, body.error.message).not.toBe(-32603);
      }
    }
  }

  async function check<T>(property: fc.IAsyncProperty<T>) {
    await fc.assert(property, { seed: SEED, numRuns: RUNS, endOnFailure: true });
    await sendOrdinaryMessage();
  }

  const envelope = (method: string, params: unknown) =>
    toBody({ jsonrpc: '2.0', id: 'fuzz', method, params });

  for (const method of A2A_METHODS) {
    it(`answers mutated ${method} params without -32603 (seed ${SEED})`, async () => {
      await check(
        fc.asyncProperty(
          fc.tuple(endpointPath, mutatedParams(V1_TEMPLATES[method])),
          async ([path, params]) => {
            expectJsonRpcAnswer(
              await post(path, envelope(method, params), { 'a2a-version': '1.0' }),
            );
          },
        ),
      );
    });
  }

  for (const method of Object.keys(V03_METHOD_TO_V1) as V03Method[]) {
    it(`answers mutated A2A 0.3 ${method} params without -32603 (seed ${SEED})`, async () => {
      await check(
        fc.asyncProperty(
          fc.tuple(endpointPath, mutatedParams(V03_TEMPLATES[method])),
          async ([path, params]) => {
            // No A2A-Version header: the request speaks 0.3 (§3.6).
            expectJsonRpcAnswer(await post(path, envelope(method, params), {}));
          },
        ),
      );
    });
  }

  it(`answers junk envelopes, batches, bodies and headers without -32603 (seed ${SEED})`, async () => {
    const request = fc.record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), junk),
        id: fc.oneof(fc.integer(), nastyString, fc.constant(null), junk),
        method: fc.oneof(
          fc.constantFrom(...A2A_METHODS, ...Object.keys(V03_METHOD_TO_V1)),
          nastyString,
          junk,
        ),
        params: junk,
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      request.map(toBody),
      fc.array(request, { maxLength: 5 }).map(toBody),
      junk.map(toBody),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('', '\ufeff{}', '{"jsonrpc":"2.0",', 'null', '[[]]', '{"__proto__":{}}'),
    );
    const headers = fc.record(
      {
        'content-type': fc.constantFrom(
          'application/json',
          'application/json; charset=utf-16',
          'application/a2a+json',
          'text/plain',
        ),
        'a2a-version': fc.constantFrom('1.0', '', '0.3', '1.0.9', '2.0', 'x'),
        'idempotency-key': fc.string({ maxLength: 300 }).filter((key) => /^[!-~]*$/.test(key)),
        'last-event-id': fc.constantFrom('0', '-1', '1e400', 'x', '999999999999'),
        'x-correlation-id': fc.string({ maxLength: 200 }).filter((key) => /^[!-~]*$/.test(key)),
      },
      { requiredKeys: ['content-type'] },
    );
    await check(
      fc.asyncProperty(fc.tuple(endpointPath, body, headers), async ([path, text, sentHeaders]) => {
        const reply = await post(path, text, sentHeaders);
        if (!sentHeaders['content-type'].includes('json')) {
          expect(JSON.parse(reply.text).error.code).toBe(-32005);
        }
        expectJsonRpcAnswer(reply);
      }),
    );
  });

  it(`answers the GET routes (audit, cards) with 200 or 4xx for any path (seed ${SEED})`, async () => {
    const route = fc.oneof(
      segment.map((id) => `/tasks/${id}/events`),
      fc.tuple(segment, segment).map(([tenant, id]) => `/${tenant}/tasks/${id}/events`),
      segment.map((name) => `/agents/${name}/.well-known/agent-card.json`),
      segment.map((tenant) => `/${tenant}/agents/echo/.well-known/agent.json`),
      segment.map((anything) => `/${anything}`),
    );
    const accept = fc.constantFrom('application/json', 'text/event-stream', '*/*');
    await check(
      fc.asyncProperty(fc.tuple(route, accept), async ([path, acceptType]) => {
        sent += 1;
        const response = await fetch(`${gateway.url}${withTask(path)}`, {
          headers: { accept: acceptType },
          signal: AbortSignal.timeout(15_000),
        });
        const text = await response.text();
        expect(response.status, `${path}: ${text.slice(0, 200)}`).toBeLessThan(500);
      }),
    );
  });

  it('still answers an ordinary SendMessage after everything it was sent', async () => {
    await sendOrdinaryMessage();
    expect(sent).toBeGreaterThan(0);
  });
});
