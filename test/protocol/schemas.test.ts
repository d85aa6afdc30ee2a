import { describe, expect, it } from 'vitest';
import {
  A2A_METHODS,
  A2A_PARAMS_SCHEMAS,
  AgentCardSchema,
  GetTaskRequestSchema,
  ListTasksResponseSchema,
  type Message,
  MessageSchema,
  PartSchema,
  SendMessageRequestSchema,
  StreamResponseSchema,
  type Task,
  TaskPushNotificationConfigSchema,
  TaskSchema,
  TaskStatusSchema,
} from '../../src/protocol/index.js';

const aMessage = (overrides: Partial<Message> = {}): Message => ({
  messageId: 'msg-1',
  role: 'ROLE_USER',
  parts: [{ text: 'What is the weather today?' }],
  ...overrides,
});

const aTask = (overrides: Partial<Task> = {}): Task => ({
  id: 'task-1',
  contextId: 'ctx-1',
  status: { state: 'TASK_STATE_WORKING', timestamp: '2025-04-17T17:47:09.680794Z' },
  ...overrides,
});

// The sample card of §8.5, trimmed to one interface and one skill.
const anAgentCard = () => ({
  name: 'GeoSpatial Route Planner Agent',
  description: 'Provides advanced route planning.',
  supportedInterfaces: [
    {
      url: 'https://georoute-agent.example.com/a2a/v1',
      protocolBinding: 'JSONRPC',
      protocolVersion: '1.0',
    },
  ],
  provider: {
    organization: 'Example Geo Services Inc.',
    url: 'https://www.examplegeoservices.com',
  },
  version: '1.2.0',
  capabilities: { streaming: true, pushNotifications: true, extendedAgentCard: true },
  securitySchemes: {
    google: {
      openIdConnectSecurityScheme: {
        openIdConnectUrl: 'https://accounts.google.com/.well-known/openid-configuration',
      },
    },
  },
  securityRequirements: [{ schemes: { google: { list: ['openid', 'profile', 'email'] } } }],
  defaultInputModes: ['application/json', 'text/plain'],
  defaultOutputModes: ['application/json', 'image/png'],
  skills: [
    {
      id: 'route-optimizer-traffic',
      name: 'Traffic-Aware Route Optimizer',
      description: 'Calculates the optimal driving route.',
      tags: ['maps', 'routing'],
    },
  ],
});

describe('A2A schemas', () => {
  it('parses a user message as sent in §6.1', () => {
    expect(MessageSchema.parse(aMessage())).toEqual(aMessage());
  });

  it('parses a completed task with a file artifact as returned in §6.7', () => {
    const task = aTask({
      status: { state: 'TASK_STATE_COMPLETED', timestamp: '2024-03-15T12:05:00Z' },
      artifacts: [
        {
          artifactId: 'artifact-1',
          name: 'processed_image_with_faces.png',
          parts: [{ url: 'https://storage.example.com/output.png', mediaType: 'image/png' }],
        },
      ],
      history: [aMessage({ parts: [{ raw: 'iVBORw0KGgo=', filename: 'in.png' }] })],
    });
    expect(TaskSchema.parse(task)).toEqual(task);
  });

  it('parses the sample agent card of §8.5', () => {
    expect(AgentCardSchema.parse(anAgentCard())).toEqual(anAgentCard());
  });

  it('accepts a data part whose value is JSON null, since data is a google.protobuf.Value', () => {
    expect(PartSchema.parse({ data: null })).toEqual({ data: null });
  });

  it('rejects a part that sets two members of the content oneof', () => {
    const result = PartSchema.safeParse({ text: 'hello', url: 'https://example.com/a.txt' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      'Expected exactly one of text, raw, url, data; got text, url',
    );
  });

  it('rejects a part that sets no member of the content oneof', () => {
    const result = PartSchema.safeParse({ mediaType: 'text/plain' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      'Expected exactly one of text, raw, url, data; got none',
    );
  });

  it('reports a bad part at its own path inside the message that carries it', () => {
    const result = SendMessageRequestSchema.safeParse({
      message: aMessage({ parts: [{ text: 'ok' }, {}] }),
    });
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['message', 'parts', 1]]);
  });

  it('rejects a stream response that carries both a task and a status update', () => {
    const statusUpdate = { taskId: 'task-1', contextId: 'ctx-1', status: aTask().status };
    expect(StreamResponseSchema.safeParse({ task: aTask(), statusUpdate }).success).toBe(false);
    expect(StreamResponseSchema.safeParse({ statusUpdate }).success).toBe(true);
  });

  it('strips unknown request fields instead of rejecting them (§5.7)', () => {
    const params = { id: 'task-1', historyLength: 2, kind: 'legacy', futureField: { a: 1 } };
    expect(GetTaskRequestSchema.parse(params)).toEqual({ id: 'task-1', historyLength: 2 });
    const send = SendMessageRequestSchema.parse({ message: { ...aMessage(), kind: 'message' } });
    expect(send.message).toEqual(aMessage());
  });

  it('keeps metadata open, since extensions may put any JSON in it (§3.2.5)', () => {
    const metadata = { 'https://example.com/ext': { nested: [1, 'two', null] } };
    expect(SendMessageRequestSchema.parse({ message: aMessage(), metadata }).metadata).toEqual(
      metadata,
    );
  });

  it('rejects the 0.3 enum spelling `completed` and names the field path (§5.5)', () => {
    const result = TaskSchema.safeParse({ ...aTask(), status: { state: 'completed' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toMatchObject([
      { code: 'invalid_value', path: ['status', 'state'] },
    ]);
  });

  it('rejects an UNSPECIFIED state or role where the field is REQUIRED (§5.7)', () => {
    expect(TaskStatusSchema.safeParse({ state: 'TASK_STATE_UNSPECIFIED' }).success).toBe(false);
    const message = { ...aMessage(), role: 'ROLE_UNSPECIFIED' };
    expect(MessageSchema.safeParse(message).success).toBe(false);
  });

  it('rejects a timestamp with an offset other than Z (§5.6.1)', () => {
    const status = { state: 'TASK_STATE_WORKING', timestamp: '2025-10-28T10:30:00+02:00' };
    expect(TaskStatusSchema.safeParse(status).success).toBe(false);
  });

  it('accepts an empty last page of ListTasks with an empty nextPageToken (§3.1.4)', () => {
    const page = { tasks: [], nextPageToken: '', pageSize: 50, totalSize: 0 };
    expect(ListTasksResponseSchema.parse(page)).toEqual(page);
  });

  it('maps each of the 11 JSON-RPC methods to its params schema (§5.3)', () => {
    expect(A2A_METHODS).toHaveLength(11);
    expect(Object.keys(A2A_PARAMS_SCHEMAS).sort()).toEqual([...A2A_METHODS].sort());
    expect(A2A_PARAMS_SCHEMAS.CreateTaskPushNotificationConfig).toBe(
      TaskPushNotificationConfigSchema,
    );
    expect(A2A_PARAMS_SCHEMAS.GetExtendedAgentCard.parse({})).toEqual({});
  });
});
