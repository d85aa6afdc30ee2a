import * as sdk from '@a2a-js/sdk';
import {
  legacyJsonRpcToV1Method,
  legacyPushNotificationToV1StreamResponse,
} from '@a2a-js/sdk/compat/v0_3';
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server';
import { describe, expect, it } from 'vitest';
import {
  A2A_PARAMS_SCHEMAS,
  type AgentCard,
  type Message,
  MessageSchema,
  type Part,
  type StreamResponse,
  type Task,
  TaskStateSchema,
} from '../../src/protocol/index.js';
import { cardToV03 } from '../../src/protocol/v03/card.js';
import {
  V03AgentCardSchema,
  type V03Message,
  V03MessageSchema,
  type V03Part,
  V03StreamEventSchema,
  V03TaskSchema,
} from '../../src/protocol/v03/schemas.js';
import {
  isV03Method,
  messageFromV03,
  messageToV03,
  paramsFromV03,
  resultToV03,
  streamResponseToV03,
  taskStateFromV03,
  taskStateToV03,
  V03_METHOD_TO_V1,
  type V03TargetMethod,
} from '../../src/protocol/v03/translate.js';

const aV03Message = (overrides: Partial<V03Message> = {}): V03Message => ({
  kind: 'message',
  messageId: 'msg-1',
  role: 'user',
  parts: [{ kind: 'text', text: 'Plan a route' }],
  ...overrides,
});

const aMessage = (overrides: Partial<Message> = {}): Message => ({
  messageId: 'msg-2',
  contextId: 'ctx-1',
  taskId: 'task-1',
  role: 'ROLE_AGENT',
  parts: [{ text: 'Which city?' }],
  ...overrides,
});

const aTask = (overrides: Partial<Task> = {}): Task => ({
  id: 'task-1',
  contextId: 'ctx-1',
  status: { state: 'TASK_STATE_WORKING', timestamp: '2025-04-17T17:47:09.680Z' },
  history: [{ messageId: 'msg-1', role: 'ROLE_USER', parts: [{ text: 'Plan a route' }] }],
  artifacts: [
    { artifactId: 'art-1', name: 'route', parts: [{ data: { km: 12 } }], extensions: ['urn:x'] },
  ],
  metadata: { priority: 'high' },
  ...overrides,
});

/** Parses as v0.3 and returns the v1.0 params, failing the test on issues. */
function v1Params(method: V03TargetMethod, params: unknown): unknown {
  const result = paramsFromV03(method, params);
  if (!result.ok) expect.fail(JSON.stringify(result.issues));
  expect(A2A_PARAMS_SCHEMAS[method].safeParse(result.params).success).toBe(true);
  return result.params;
}

function issuePaths(method: V03TargetMethod, params: unknown): string[] {
  const result = paramsFromV03(method, params);
  return result.ok ? [] : result.issues.map((issue) => issue.path);
}

describe('V03_METHOD_TO_V1', () => {
  it('renames each v0.3 method as @a2a-js/sdk does (whats-new-v1.md)', () => {
    for (const [v03, v1] of Object.entries(V03_METHOD_TO_V1)) {
      expect(legacyJsonRpcToV1Method(v03)).toBe(v1);
    }
    expect(Object.values(V03_METHOD_TO_V1)).not.toContain('ListTasks');
  });

  it('knows only its own method names, not Object.prototype members', () => {
    expect(isV03Method('tasks/get')).toBe(true);
    expect(isV03Method('toString')).toBe(false);
    expect(isV03Method('GetTask')).toBe(false);
  });
});

describe('paramsFromV03', () => {
  it('turns message/send into SendMessage params: roles, parts and metadata', () => {
    const message = aV03Message({
      contextId: 'ctx-1',
      metadata: { trace: 'a' },
      extensions: ['urn:ext'],
      referenceTaskIds: ['task-0'],
      parts: [
        { kind: 'text', text: 'Plan a route', metadata: { lang: 'en' } },
        { kind: 'file', file: { bytes: 'aGVsbG8=', name: 'a.txt', mimeType: 'text/plain' } },
        { kind: 'file', file: { uri: 'https://example.com/map.png', mimeType: 'image/png' } },
        { kind: 'data', data: { from: 'A', to: 'B' } },
      ],
    });
    expect(v1Params('SendMessage', { message, metadata: { m: 1 }, unknown: true })).toEqual({
      message: {
        messageId: 'msg-1',
        contextId: 'ctx-1',
        role: 'ROLE_USER',
        parts: [
          { text: 'Plan a route', metadata: { lang: 'en' } },
          { raw: 'aGVsbG8=', filename: 'a.txt', mediaType: 'text/plain' },
          { url: 'https://example.com/map.png', mediaType: 'image/png' },
          { data: { from: 'A', to: 'B' } },
        ],
        metadata: { trace: 'a' },
        extensions: ['urn:ext'],
        referenceTaskIds: ['task-0'],
      },
      metadata: { m: 1 },
    });
  });

  it('maps the send configuration; blocking false means returnImmediately true', () => {
    const configuration = {
      acceptedOutputModes: ['text/plain'],
      historyLength: 3,
      blocking: false,
      pushNotificationConfig: {
        url: 'https://hooks.example.com/a2a',
        token: 'tok',
        authentication: { schemes: ['Bearer', 'Basic'], credentials: 'secret' },
      },
    };
    const params = v1Params('SendStreamingMessage', { message: aV03Message(), configuration });
    expect(params).toMatchObject({
      configuration: {
        acceptedOutputModes: ['text/plain'],
        historyLength: 3,
        returnImmediately: true,
        taskPushNotificationConfig: {
          url: 'https://hooks.example.com/a2a',
          token: 'tok',
          authentication: { scheme: 'Bearer', credentials: 'secret' },
        },
      },
    });
  });

  it('blocks by default, as v0.3 did when blocking was left out', () => {
    expect(v1Params('SendMessage', { message: aV03Message(), configuration: {} })).toEqual({
      message: expect.any(Object),
      configuration: { returnImmediately: false },
    });
    expect(v1Params('SendMessage', { message: aV03Message() })).not.toHaveProperty('configuration');
  });

  it('unwraps a data value that @a2a-js/sdk wrapped because v0.3 data must be an object', () => {
    const parts: V03Part[] = [
      { kind: 'data', data: { value: [1, 2] }, metadata: { data_part_compat: true } },
      { kind: 'data', data: { value: 'x' }, metadata: { data_part_compat: true, k: 'v' } },
    ];
    expect(v1Params('SendMessage', { message: aV03Message({ parts }) })).toMatchObject({
      message: { parts: [{ data: [1, 2] }, { data: 'x', metadata: { k: 'v' } }] },
    });
  });

  it('maps the task methods and drops what v1.0 has no field for', () => {
    const idParams = { id: 'task-1', metadata: { a: 1 }, stray: true };
    expect(v1Params('GetTask', { ...idParams, historyLength: 5 })).toEqual({
      id: 'task-1',
      historyLength: 5,
    });
    expect(v1Params('CancelTask', idParams)).toEqual({ id: 'task-1', metadata: { a: 1 } });
    expect(v1Params('SubscribeToTask', idParams)).toEqual({ id: 'task-1' });
    expect(v1Params('GetExtendedAgentCard', undefined)).toEqual({});
  });

  it('flattens tasks/pushNotificationConfig/set into one v1.0 config (§3.1.7)', () => {
    const params = {
      taskId: 'task-1',
      pushNotificationConfig: {
        id: 'cfg-1',
        url: 'https://hooks.example.com/a2a',
        authentication: { schemes: ['Bearer'] },
      },
    };
    expect(v1Params('CreateTaskPushNotificationConfig', params)).toEqual({
      taskId: 'task-1',
      id: 'cfg-1',
      url: 'https://hooks.example.com/a2a',
      authentication: { scheme: 'Bearer' },
    });
  });

  it('keys a config without an id by its task, so get without a config id finds it', () => {
    const set = { taskId: 'task-1', pushNotificationConfig: { url: 'https://h.example.com' } };
    expect(v1Params('CreateTaskPushNotificationConfig', set)).toMatchObject({ id: 'task-1' });
    expect(v1Params('GetTaskPushNotificationConfig', { id: 'task-1' })).toEqual({
      taskId: 'task-1',
      id: 'task-1',
    });
  });

  it('splits the other push config params into task id and config id (§3.1.8-§3.1.10)', () => {
    const byId = { id: 'task-1', pushNotificationConfigId: 'cfg-1' };
    expect(v1Params('GetTaskPushNotificationConfig', byId)).toEqual({
      taskId: 'task-1',
      id: 'cfg-1',
    });
    expect(v1Params('DeleteTaskPushNotificationConfig', byId)).toEqual({
      taskId: 'task-1',
      id: 'cfg-1',
    });
    expect(v1Params('ListTaskPushNotificationConfigs', { id: 'task-1' })).toEqual({
      taskId: 'task-1',
    });
  });

  it('reports issues at their v0.3 paths', () => {
    const noKind = aV03Message({ parts: [{ text: 'hi' } as never] });
    expect(issuePaths('SendMessage', { message: noKind })).toEqual(['message.parts[0].kind']);
    const bothFiles = { kind: 'file', file: { bytes: 'aGk=', uri: 'https://x' } } as V03Part;
    expect(issuePaths('SendMessage', { message: aV03Message({ parts: [bothFiles] }) })).toEqual([
      'message.parts[0].file',
    ]);
    const noSchemes = { taskId: 't', pushNotificationConfig: { url: 'u', authentication: {} } };
    expect(issuePaths('CreateTaskPushNotificationConfig', noSchemes)).toEqual([
      'pushNotificationConfig.authentication.schemes',
    ]);
    expect(issuePaths('DeleteTaskPushNotificationConfig', { id: 't' })).toEqual([
      'pushNotificationConfigId',
    ]);
    expect(issuePaths('GetTask', undefined)).toEqual(['']);
  });

  it('rejects a v1.0 message sent as v0.3: kind is required and roles are lowercase', () => {
    const v1Message = { messageId: 'm', role: 'ROLE_USER', parts: [{ text: 'hi' }] };
    expect(issuePaths('SendMessage', { message: v1Message })).toEqual([
      'message.kind',
      'message.role',
      'message.parts[0].kind',
    ]);
  });
});

describe('resultToV03 and streamResponseToV03', () => {
  it('returns a SendMessage task as a v0.3 Task and a message as a v0.3 Message', () => {
    expect(resultToV03('SendMessage', { task: aTask() })).toEqual({
      kind: 'task',
      id: 'task-1',
      contextId: 'ctx-1',
      status: { state: 'working', timestamp: '2025-04-17T17:47:09.680Z' },
      history: [
        {
          kind: 'message',
          messageId: 'msg-1',
          role: 'user',
          parts: [{ kind: 'text', text: 'Plan a route' }],
        },
      ],
      artifacts: [
        {
          artifactId: 'art-1',
          name: 'route',
          parts: [{ kind: 'data', data: { km: 12 } }],
          extensions: ['urn:x'],
        },
      ],
      metadata: { priority: 'high' },
    });
    expect(resultToV03('SendMessage', { message: aMessage() })).toEqual({
      kind: 'message',
      messageId: 'msg-2',
      contextId: 'ctx-1',
      taskId: 'task-1',
      role: 'agent',
      parts: [{ kind: 'text', text: 'Which city?' }],
    });
  });

  it('returns GetTask and CancelTask tasks in v0.3 form', () => {
    const canceled = aTask({ status: { state: 'TASK_STATE_CANCELED' } });
    expect(V03TaskSchema.parse(resultToV03('CancelTask', canceled))).toMatchObject({
      kind: 'task',
      status: { state: 'canceled' },
    });
    expect(resultToV03('GetTask', aTask())).toEqual(resultToV03('SendMessage', { task: aTask() }));
  });

  it('nests push configs again, lists them as a bare array and deletes to null', () => {
    const config = {
      taskId: 'task-1',
      id: 'cfg-1',
      url: 'https://hooks.example.com/a2a',
      token: 'tok',
      authentication: { scheme: 'Bearer', credentials: 'secret' },
    };
    const v03 = {
      taskId: 'task-1',
      pushNotificationConfig: {
        id: 'cfg-1',
        url: 'https://hooks.example.com/a2a',
        token: 'tok',
        authentication: { schemes: ['Bearer'], credentials: 'secret' },
      },
    };
    expect(resultToV03('CreateTaskPushNotificationConfig', config)).toEqual(v03);
    expect(resultToV03('GetTaskPushNotificationConfig', config)).toEqual(v03);
    expect(resultToV03('ListTaskPushNotificationConfigs', { configs: [config] })).toEqual([v03]);
    expect(resultToV03('ListTaskPushNotificationConfigs', {})).toEqual([]);
    expect(resultToV03('DeleteTaskPushNotificationConfig', {})).toBeNull();
  });

  it.each([
    ['TASK_STATE_COMPLETED', true],
    ['TASK_STATE_FAILED', true],
    ['TASK_STATE_CANCELED', true],
    ['TASK_STATE_REJECTED', true],
    ['TASK_STATE_INPUT_REQUIRED', true],
    ['TASK_STATE_AUTH_REQUIRED', true],
    ['TASK_STATE_SUBMITTED', false],
    ['TASK_STATE_WORKING', false],
  ] as const)('marks a %s status-update final: %s (v0.3 closes the stream)', (state, final) => {
    const statusUpdate = { taskId: 'task-1', contextId: 'ctx-1', status: { state } };
    expect(streamResponseToV03({ statusUpdate })).toEqual({
      kind: 'status-update',
      taskId: 'task-1',
      contextId: 'ctx-1',
      status: { state: taskStateToV03(state) },
      final,
    });
  });

  it('turns an artifactUpdate into an artifact-update with file parts', () => {
    const artifactUpdate = {
      taskId: 'task-1',
      contextId: 'ctx-1',
      append: true,
      lastChunk: false,
      artifact: {
        artifactId: 'art-1',
        parts: [
          { raw: 'aGVsbG8=', filename: 'a.txt', mediaType: 'text/plain' },
          { url: 'https://example.com/b.pdf' },
          { data: 42 },
        ],
      },
    };
    expect(streamResponseToV03({ artifactUpdate })).toEqual({
      kind: 'artifact-update',
      taskId: 'task-1',
      contextId: 'ctx-1',
      append: true,
      lastChunk: false,
      artifact: {
        artifactId: 'art-1',
        parts: [
          { kind: 'file', file: { bytes: 'aGVsbG8=', name: 'a.txt', mimeType: 'text/plain' } },
          { kind: 'file', file: { uri: 'https://example.com/b.pdf' } },
          { kind: 'data', data: { value: 42 }, metadata: { data_part_compat: true } },
        ],
      },
    });
  });

  it('maps every task state to kebab case and back; unspecified is unknown', () => {
    for (const state of TaskStateSchema.options) {
      expect(taskStateFromV03(taskStateToV03(state))).toBe(state);
    }
    expect(taskStateToV03('TASK_STATE_INPUT_REQUIRED')).toBe('input-required');
    expect(taskStateToV03('TASK_STATE_UNSPECIFIED')).toBe('unknown');
  });
});

// The §8.5 sample card, with one scheme of each kind and the fields v0.3 cannot carry.
const aCard = (): AgentCard => ({
  name: 'GeoSpatial Route Planner Agent',
  description: 'Provides advanced route planning.',
  supportedInterfaces: [
    { url: 'https://geo.example.com/a2a/grpc', protocolBinding: 'GRPC', protocolVersion: '1.0' },
    { url: 'https://geo.example.com/a2a', protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
  ],
  provider: { organization: 'Example Geo Services Inc.', url: 'https://geo.example.com' },
  version: '1.2.0',
  documentationUrl: 'https://geo.example.com/docs',
  iconUrl: 'https://geo.example.com/icon.png',
  capabilities: {
    streaming: true,
    pushNotifications: true,
    extendedAgentCard: true,
    extensions: [{ uri: 'urn:geo', required: false }, { description: 'has no uri' }],
  },
  securitySchemes: {
    key: { apiKeySecurityScheme: { location: 'header', name: 'X-API-Key' } },
    bearer: { httpAuthSecurityScheme: { scheme: 'Bearer', bearerFormat: 'JWT' } },
    oidc: { openIdConnectSecurityScheme: { openIdConnectUrl: 'https://id.example.com/.wk' } },
    mtls: { mtlsSecurityScheme: { description: 'client certificates' } },
    code: {
      oauth2SecurityScheme: {
        flows: {
          authorizationCode: {
            authorizationUrl: 'https://id.example.com/authorize',
            tokenUrl: 'https://id.example.com/token',
            scopes: { read: 'Read routes' },
            pkceRequired: true,
          },
        },
      },
    },
    device: {
      oauth2SecurityScheme: {
        flows: {
          deviceCode: {
            deviceAuthorizationUrl: 'https://id.example.com/device',
            tokenUrl: 'https://id.example.com/token',
            scopes: {},
          },
        },
      },
    },
  },
  securityRequirements: [{ schemes: { code: { list: ['read'] } } }, { schemes: { key: {} } }],
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['application/json'],
  skills: [
    {
      id: 'route-optimizer',
      name: 'Route Optimizer',
      description: 'Calculates the optimal route.',
      tags: ['maps'],
      examples: ['Fastest route from A to B'],
      outputModes: ['application/json'],
      securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    },
  ],
  signatures: [{ protected: 'eyJhbGciOiJFUzI1NiJ9', signature: 'c2ln' }],
});

describe('cardToV03', () => {
  it('serves one JSON-RPC interface at protocol 0.3 with OpenAPI-shaped security', () => {
    const v03 = cardToV03(aCard(), 'https://geo.example.com/a2a');
    expect(v03).toEqual({
      protocolVersion: '0.3.0',
      name: 'GeoSpatial Route Planner Agent',
      description: 'Provides advanced route planning.',
      url: 'https://geo.example.com/a2a',
      preferredTransport: 'JSONRPC',
      additionalInterfaces: [{ url: 'https://geo.example.com/a2a', transport: 'JSONRPC' }],
      provider: { organization: 'Example Geo Services Inc.', url: 'https://geo.example.com' },
      version: '1.2.0',
      documentationUrl: 'https://geo.example.com/docs',
      iconUrl: 'https://geo.example.com/icon.png',
      capabilities: {
        streaming: true,
        pushNotifications: true,
        stateTransitionHistory: false,
        extensions: [{ uri: 'urn:geo', required: false }],
      },
      securitySchemes: {
        key: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'Bearer', bearerFormat: 'JWT' },
        oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://id.example.com/.wk' },
        mtls: { type: 'mutualTLS', description: 'client certificates' },
        code: {
          type: 'oauth2',
          flows: {
            authorizationCode: {
              authorizationUrl: 'https://id.example.com/authorize',
              tokenUrl: 'https://id.example.com/token',
              scopes: { read: 'Read routes' },
            },
          },
        },
        device: { type: 'oauth2', flows: {} },
      },
      security: [{ code: ['read'] }, { key: [] }],
      defaultInputModes: ['text/plain'],
      defaultOutputModes: ['application/json'],
      skills: [
        {
          id: 'route-optimizer',
          name: 'Route Optimizer',
          description: 'Calculates the optimal route.',
          tags: ['maps'],
          examples: ['Fastest route from A to B'],
          outputModes: ['application/json'],
          security: [{ bearer: [] }],
        },
      ],
      supportsAuthenticatedExtendedCard: true,
    });
    expect(V03AgentCardSchema.safeParse(v03).success).toBe(true);
  });

  it('answers agent/getAuthenticatedExtendedCard at the JSON-RPC interface by default', () => {
    expect(resultToV03('GetExtendedAgentCard', aCard())).toMatchObject({
      url: 'https://geo.example.com/a2a',
    });
    expect(resultToV03('GetExtendedAgentCard', aCard(), 'https://other/a2a')).toMatchObject({
      url: 'https://other/a2a',
    });
  });
});

// A small seeded generator: the same cases every run, many more than one would write by hand.
function randomFrom(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const int = (n: number) => Math.floor(next() * n);
  const maybe = <T>(value: T) => (next() < 0.5 ? value : undefined);
  const word = () => `w${int(1000)}`;
  return { int, maybe, word, pick: <T>(items: readonly T[]) => items[int(items.length)] as T };
}

const prune = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

describe('round trips', () => {
  it('v0.3 -> v1.0 -> v0.3 keeps every v0.3 message', () => {
    const r = randomFrom(3);
    const aPart = (): V03Part => {
      const metadata = r.maybe({ [r.word()]: r.word() });
      const name = r.maybe(`${r.word()}.bin`);
      const mimeType = r.maybe('application/octet-stream');
      switch (r.int(4)) {
        case 0:
          return prune({ kind: 'text', text: r.word(), metadata });
        case 1:
          return prune({ kind: 'file', file: prune({ bytes: 'AAEC', name, mimeType }), metadata });
        case 2:
          return prune({ kind: 'file', file: prune({ uri: `https://x/${r.word()}`, name }) });
        default:
          return prune({ kind: 'data', data: { [r.word()]: [r.int(9), null] }, metadata });
      }
    };
    for (let i = 0; i < 300; i++) {
      const message: V03Message = prune({
        ...aV03Message({ messageId: `m-${i}`, role: r.pick(['user', 'agent'] as const) }),
        parts: Array.from({ length: 1 + r.int(3) }, aPart),
        contextId: r.maybe(r.word()),
        taskId: r.maybe(r.word()),
        metadata: r.maybe({ trace: r.word() }),
        referenceTaskIds: r.maybe([r.word()]),
      });
      const v1 = messageFromV03(V03MessageSchema.parse(message));
      expect(MessageSchema.safeParse(v1).success).toBe(true);
      expect(messageToV03(v1)).toEqual(message);
    }
  });

  it('v1.0 -> v0.3 -> v1.0 keeps every v1.0 message, any JSON as data included', () => {
    const r = randomFrom(7);
    const aPart = (): Part => {
      const filename = r.maybe(`${r.word()}.bin`);
      const mediaType = r.maybe('image/png');
      const data = r.pick([{ k: r.word() }, [1, 'two'], 'text', 3.5, true, null]);
      switch (r.int(4)) {
        case 0:
          return { text: r.word() };
        case 1:
          return prune({ raw: 'AAEC', filename, mediaType, metadata: r.maybe({ a: 1 }) });
        case 2:
          return prune({ url: `https://x/${r.word()}`, filename, mediaType });
        default:
          return prune({ data, metadata: r.maybe({ b: r.word() }) });
      }
    };
    for (let i = 0; i < 300; i++) {
      const message = prune({
        ...aMessage({ messageId: `m-${i}`, role: r.pick(['ROLE_USER', 'ROLE_AGENT'] as const) }),
        parts: Array.from({ length: 1 + r.int(3) }, aPart),
        extensions: r.maybe([r.word()]),
      });
      const v03 = messageToV03(message);
      expect(V03MessageSchema.safeParse(v03).success).toBe(true);
      expect(messageFromV03(v03)).toEqual(message);
    }
  });
});

describe('against @a2a-js/sdk 1.3 (compat/v0_3)', () => {
  // The SDK's one public runtime check of v0.3 shapes: it parses a bare v0.3 event (as pushed
  // to a webhook) into a v1.0 StreamResponse and throws on anything malformed.
  const responses: [string, StreamResponse][] = [
    ['task', { task: aTask({ status: { state: 'TASK_STATE_INPUT_REQUIRED' } }) }],
    ['message', { message: aMessage({ parts: [{ url: 'https://x/a.png', filename: 'a.png' }] }) }],
    [
      'statusUpdate',
      {
        statusUpdate: {
          taskId: 'task-1',
          contextId: 'ctx-1',
          status: { state: 'TASK_STATE_COMPLETED', message: aMessage() },
          metadata: { m: 1 },
        },
      },
    ],
    [
      'artifactUpdate',
      {
        artifactUpdate: {
          taskId: 'task-1',
          contextId: 'ctx-1',
          append: true,
          artifact: { artifactId: 'a', parts: [{ raw: 'aGVsbG8=', mediaType: 'text/plain' }] },
        },
      },
    ],
    ['non-object data', { message: aMessage({ parts: [{ data: ['a', 1] }] }) }],
  ];

  it.each(responses)('its v0.3 parser reads our %s event back to the same v1.0 event', (_, v1) => {
    const v03 = JSON.parse(JSON.stringify(streamResponseToV03(v1)));
    expect(V03StreamEventSchema.safeParse(v03).success).toBe(true);
    const parsed = legacyPushNotificationToV1StreamResponse(v03);
    expect(sdk.StreamResponse.toJSON(parsed)).toEqual(v1);
  });

  // Its v0.3 JSON-RPC handler, over a fake v1.0 handler that records what it is asked.
  async function viaSdk(method: string, params: unknown, v1Result: unknown) {
    const calls: unknown[] = [];
    const handler = new Proxy(
      {},
      {
        get: () => async (request: unknown) => {
          calls.push(request);
          return v1Result;
        },
      },
    );
    const transport = new LegacyJsonRpcTransportHandler(handler as never);
    const response = await transport.handle(
      { jsonrpc: '2.0', id: 1, method, params },
      undefined as never,
    );
    return { request: calls[0], result: (response as { result?: unknown }).result };
  }

  const task = aTask({ status: { state: 'TASK_STATE_COMPLETED' } });
  const config = { taskId: 'task-1', id: 'cfg-1', url: 'https://h', token: 't' };
  const cases = [
    // `blocking: false`: the SDK reads a missing one as non-blocking, v0.3 servers did not.
    {
      method: 'message/send',
      params: { message: aV03Message(), configuration: { blocking: false, historyLength: 2 } },
      request: sdk.SendMessageRequest,
      result: sdk.Task.fromJSON(task),
      v1Result: { task },
    },
    {
      method: 'message/send',
      params: { message: aV03Message(), metadata: { a: 1 } },
      request: sdk.SendMessageRequest,
      result: sdk.Message.fromJSON(aMessage()),
      v1Result: { message: aMessage() },
    },
    {
      method: 'tasks/get',
      params: { id: 'task-1', historyLength: 1 },
      request: sdk.GetTaskRequest,
      result: sdk.Task.fromJSON(task),
      v1Result: task,
    },
    {
      method: 'tasks/cancel',
      params: { id: 'task-1', metadata: { why: 'user' } },
      request: sdk.CancelTaskRequest,
      result: sdk.Task.fromJSON(task),
      v1Result: task,
    },
    {
      method: 'tasks/pushNotificationConfig/set',
      params: { taskId: 'task-1', pushNotificationConfig: { id: 'cfg-1', url: 'https://h' } },
      request: sdk.TaskPushNotificationConfig,
      result: sdk.TaskPushNotificationConfig.fromJSON(config),
      v1Result: config,
    },
    {
      method: 'tasks/pushNotificationConfig/get',
      params: { id: 'task-1', pushNotificationConfigId: 'cfg-1' },
      request: sdk.GetTaskPushNotificationConfigRequest,
      result: sdk.TaskPushNotificationConfig.fromJSON(config),
      v1Result: config,
    },
    {
      method: 'tasks/pushNotificationConfig/list',
      params: { id: 'task-1' },
      request: sdk.ListTaskPushNotificationConfigsRequest,
      result: sdk.ListTaskPushNotificationConfigsResponse.fromJSON({ configs: [config] }),
      v1Result: { configs: [config] },
    },
    {
      method: 'tasks/pushNotificationConfig/delete',
      params: { id: 'task-1', pushNotificationConfigId: 'cfg-1' },
      request: sdk.DeleteTaskPushNotificationConfigRequest,
      result: undefined,
      v1Result: {},
    },
  ];

  it.each(cases)('$method gives the params and result its v0.3 handler does', async (c) => {
    const method = V03_METHOD_TO_V1[c.method as keyof typeof V03_METHOD_TO_V1];
    const sdkSide = await viaSdk(c.method, c.params, c.result);
    expect(v1Params(method, c.params)).toEqual(c.request.toJSON(sdkSide.request as never));
    expect(resultToV03(method, c.v1Result)).toEqual(sdkSide.result);
  });
});
