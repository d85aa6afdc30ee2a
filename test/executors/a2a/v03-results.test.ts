import * as sdk from '@a2a-js/sdk';
import { legacyPushNotificationToV1StreamResponse } from '@a2a-js/sdk/compat/v0_3';
import { describe, expect, it } from 'vitest';
import {
  type AgentCard,
  AgentCardSchema,
  type Message,
  type SendMessageRequest,
  type StreamResponse,
  StreamResponseSchema,
  v03,
} from '../../../src/protocol/index.js';

// The 0.3 → 1.0 direction (an upstream that speaks 0.3), held to its inverse in translate.ts
// and to the @a2a-js/sdk's own 0.3 parser.

const message: Message = {
  messageId: 'm-1',
  role: 'ROLE_AGENT',
  parts: [
    { text: 'hi' },
    { data: [1, 2] },
    { url: 'https://x/a.png', filename: 'a.png', mediaType: 'image/png' },
  ],
  contextId: 'ctx-1',
  taskId: 'task-1',
  metadata: { k: 'v' },
};

const events: [string, StreamResponse][] = [
  [
    'task',
    {
      task: {
        id: 'task-1',
        contextId: 'ctx-1',
        status: {
          state: 'TASK_STATE_INPUT_REQUIRED',
          message,
          timestamp: '2026-01-02T03:04:05.000Z',
        },
        artifacts: [
          { artifactId: 'a', name: 'out', parts: [{ raw: 'aGVsbG8=', mediaType: 'text/plain' }] },
        ],
        history: [{ ...message, role: 'ROLE_USER' }],
        metadata: { m: 1 },
      },
    },
  ],
  ['message', { message }],
  [
    'statusUpdate',
    {
      statusUpdate: {
        taskId: 'task-1',
        contextId: 'ctx-1',
        status: { state: 'TASK_STATE_COMPLETED' },
      },
    },
  ],
  [
    'artifactUpdate',
    {
      artifactUpdate: {
        taskId: 'task-1',
        contextId: 'ctx-1',
        artifact: { artifactId: 'a', parts: [{ text: 'chunk' }] },
        append: true,
        lastChunk: true,
      },
    },
  ],
];

describe('v0.3 results as v1.0', () => {
  it.each(events)('%s: streamEventFromV03 undoes streamResponseToV03', (_, v1) => {
    const old = JSON.parse(JSON.stringify(v03.streamResponseToV03(v1)));
    expect(v03.V03StreamEventSchema.safeParse(old).success).toBe(true);
    const back = v03.streamEventFromV03(old);
    expect(StreamResponseSchema.parse(back)).toEqual(v1);
  });

  it.each(events)('%s: reads a v0.3 event as the @a2a-js/sdk 0.3 parser does', (_, v1) => {
    const old = JSON.parse(JSON.stringify(v03.streamResponseToV03(v1)));
    const theirs = sdk.StreamResponse.toJSON(legacyPushNotificationToV1StreamResponse(old));
    expect(v03.streamEventFromV03(old)).toEqual(theirs);
  });

  it("a v0.3 'unknown' state is left for validation to refuse", () => {
    const old = { kind: 'task', id: 't', contextId: 'c', status: { state: 'unknown' } } as const;
    expect(StreamResponseSchema.safeParse(v03.streamEventFromV03(old)).success).toBe(false);
  });

  it('sendMessageToV03 builds the params paramsFromV03 reads back', () => {
    const request: SendMessageRequest = {
      message: { ...message, role: 'ROLE_USER' },
      configuration: { returnImmediately: true, historyLength: 2 },
      metadata: { trace: ['a'] },
    };
    const params = v03.sendMessageToV03(request);
    expect(params.configuration).toEqual({ blocking: false, historyLength: 2 });
    expect(v03.paramsFromV03('SendMessage', params)).toEqual({ ok: true, params: request });
  });
});

describe('v0.3 cards as v1.0', () => {
  const card: AgentCard = {
    name: 'Agent',
    description: 'Does things.',
    supportedInterfaces: [
      { url: 'https://agent.example/rpc', protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
    ],
    provider: { organization: 'Example', url: 'https://example.org' },
    version: '2.1.0',
    documentationUrl: 'https://agent.example/docs',
    capabilities: { streaming: true, pushNotifications: false, extendedAgentCard: true },
    securitySchemes: {
      oauth: {
        oauth2SecurityScheme: {
          flows: {
            clientCredentials: { tokenUrl: 'https://auth.example/token', scopes: { read: 'Read' } },
          },
        },
      },
      key: { apiKeySecurityScheme: { location: 'header', name: 'X-Key' } },
    },
    securityRequirements: [{ schemes: { oauth: { list: ['read'] } } }],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [
      {
        id: 's',
        name: 'S',
        description: 'A skill.',
        tags: ['t'],
        securityRequirements: [{ schemes: { key: { list: [] } } }],
      },
    ],
    iconUrl: 'https://agent.example/icon.png',
  };

  it('cardFromV03 undoes cardToV03, the card-level URL its one JSON-RPC interface', () => {
    const old = v03.cardToV03(card, 'https://agent.example/rpc');
    const back = AgentCardSchema.parse(v03.cardFromV03(old));
    expect(back).toEqual({
      ...card,
      supportedInterfaces: [
        { url: 'https://agent.example/rpc', protocolBinding: 'JSONRPC', protocolVersion: '0.3.0' },
      ],
    });
  });

  it('an OAuth 2 scheme with several flows keeps client credentials; one with none is dropped', () => {
    expect(
      v03.securitySchemeFromV03({
        type: 'oauth2',
        flows: {
          authorizationCode: {
            authorizationUrl: 'https://a/auth',
            tokenUrl: 'https://a/t1',
            scopes: {},
          },
          clientCredentials: { tokenUrl: 'https://a/t2', scopes: {} },
        },
      }),
    ).toEqual({
      oauth2SecurityScheme: {
        flows: { clientCredentials: { tokenUrl: 'https://a/t2', scopes: {} } },
      },
    });
    expect(v03.securitySchemeFromV03({ type: 'oauth2', flows: {} })).toBeUndefined();
  });
});
