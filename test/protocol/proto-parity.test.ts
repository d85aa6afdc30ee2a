import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as a2a from '../../src/protocol/index.js';

// A pinned copy of the spec's data model (spec/a2a-v1.0/SOURCE.md says where it comes from).
const PROTO_PATH = fileURLToPath(new URL('../../spec/a2a-v1.0/a2a.proto', import.meta.url));

/** Every a2a.proto message, by proto name, to the schema that models it. */
const MESSAGE_SCHEMAS: Record<string, z.ZodObject> = {
  SendMessageConfiguration: a2a.SendMessageConfigurationSchema,
  Task: a2a.TaskSchema,
  TaskStatus: a2a.TaskStatusSchema,
  Part: a2a.PartSchema,
  Message: a2a.MessageSchema,
  Artifact: a2a.ArtifactSchema,
  TaskStatusUpdateEvent: a2a.TaskStatusUpdateEventSchema,
  TaskArtifactUpdateEvent: a2a.TaskArtifactUpdateEventSchema,
  AuthenticationInfo: a2a.AuthenticationInfoSchema,
  AgentInterface: a2a.AgentInterfaceSchema,
  AgentCard: a2a.AgentCardSchema,
  AgentProvider: a2a.AgentProviderSchema,
  AgentCapabilities: a2a.AgentCapabilitiesSchema,
  AgentExtension: a2a.AgentExtensionSchema,
  AgentSkill: a2a.AgentSkillSchema,
  AgentCardSignature: a2a.AgentCardSignatureSchema,
  TaskPushNotificationConfig: a2a.TaskPushNotificationConfigSchema,
  StringList: a2a.StringListSchema,
  SecurityRequirement: a2a.SecurityRequirementSchema,
  SecurityScheme: a2a.SecuritySchemeSchema,
  APIKeySecurityScheme: a2a.APIKeySecuritySchemeSchema,
  HTTPAuthSecurityScheme: a2a.HTTPAuthSecuritySchemeSchema,
  OAuth2SecurityScheme: a2a.OAuth2SecuritySchemeSchema,
  OpenIdConnectSecurityScheme: a2a.OpenIdConnectSecuritySchemeSchema,
  MutualTlsSecurityScheme: a2a.MutualTlsSecuritySchemeSchema,
  OAuthFlows: a2a.OAuthFlowsSchema,
  AuthorizationCodeOAuthFlow: a2a.AuthorizationCodeOAuthFlowSchema,
  ClientCredentialsOAuthFlow: a2a.ClientCredentialsOAuthFlowSchema,
  ImplicitOAuthFlow: a2a.ImplicitOAuthFlowSchema,
  PasswordOAuthFlow: a2a.PasswordOAuthFlowSchema,
  DeviceCodeOAuthFlow: a2a.DeviceCodeOAuthFlowSchema,
  SendMessageRequest: a2a.SendMessageRequestSchema,
  GetTaskRequest: a2a.GetTaskRequestSchema,
  ListTasksRequest: a2a.ListTasksRequestSchema,
  ListTasksResponse: a2a.ListTasksResponseSchema,
  CancelTaskRequest: a2a.CancelTaskRequestSchema,
  GetTaskPushNotificationConfigRequest: a2a.GetTaskPushNotificationConfigRequestSchema,
  DeleteTaskPushNotificationConfigRequest: a2a.DeleteTaskPushNotificationConfigRequestSchema,
  SubscribeToTaskRequest: a2a.SubscribeToTaskRequestSchema,
  ListTaskPushNotificationConfigsRequest: a2a.ListTaskPushNotificationConfigsRequestSchema,
  GetExtendedAgentCardRequest: a2a.GetExtendedAgentCardRequestSchema,
  SendMessageResponse: a2a.SendMessageResponseSchema,
  StreamResponse: a2a.StreamResponseSchema,
  ListTaskPushNotificationConfigsResponse: a2a.ListTaskPushNotificationConfigsResponseSchema,
};

/** Every a2a.proto enum to its schema. */
const ENUM_SCHEMAS: Record<string, z.ZodEnum> = {
  TaskState: a2a.TaskStateSchema,
  Role: a2a.RoleSchema,
};

// --- A small reader for the subset of proto3 that a2a.proto uses. ---

interface ProtoField {
  jsonName: string;
  type: string;
  label: 'singular' | 'optional' | 'repeated' | 'map';
  required: boolean;
  oneof?: string;
}

interface Proto {
  messages: Map<string, ProtoField[]>;
  enums: Map<string, string[]>;
}

/** protoc's ToJsonName: drop each `_` and upper-case the character after it. */
function toJsonName(name: string): string {
  let out = '';
  let upper = false;
  for (const char of name) {
    if (char === '_') upper = true;
    else {
      out += upper ? char.toUpperCase() : char;
      upper = false;
    }
  }
  return out;
}

function tokenize(source: string): string[] {
  const token = /\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*|-?\d+|\S/g;
  return [...source.matchAll(token)]
    .map(([text]) => text)
    .filter((text) => !/^\s/.test(text) && !text.startsWith('//') && !text.startsWith('/*'));
}

function parseProto(source: string): Proto {
  const tokens = tokenize(source);
  const proto: Proto = { messages: new Map(), enums: new Map() };
  let at = 0;
  const peek = () => tokens[at];
  const next = (): string => {
    const token = tokens[at++];
    if (token === undefined) throw new Error('a2a.proto ended early');
    return token;
  };
  const take = (expected: string) => {
    const token = next();
    if (token !== expected) throw new Error(`expected "${expected}", got "${token}" (#${at})`);
  };
  // Skips `...;` or `... { ... }` (services, options, reserved ranges) as a whole.
  const skipStatement = () => {
    let depth = 0;
    for (;;) {
      const token = next();
      if (token === '{') depth++;
      else if (token === '}' && --depth === 0) return;
      else if (token === ';' && depth === 0) return;
    }
  };
  const parseOptions = (): string[] => {
    if (peek() !== '[') return [];
    take('[');
    const options: string[] = [''];
    for (let token = next(); token !== ']'; token = next()) {
      if (token === ',') options.push('');
      else options[options.length - 1] += token;
    }
    return options;
  };
  const parseField = (oneof?: string): ProtoField => {
    let label: ProtoField['label'] = 'singular';
    if (peek() === 'optional' || peek() === 'repeated') label = next() as ProtoField['label'];
    let type = next();
    if (type === 'map') {
      take('<');
      next();
      take(',');
      type = next();
      take('>');
      label = 'map';
    }
    const jsonName = toJsonName(next());
    take('=');
    next();
    const required = parseOptions().includes('(google.api.field_behavior)=REQUIRED');
    take(';');
    return { jsonName, type, label, required, ...(oneof && { oneof }) };
  };
  const parseEnum = () => {
    take('enum');
    const name = next();
    const values: string[] = [];
    take('{');
    while (peek() !== '}') {
      if (peek() === 'option' || peek() === 'reserved') skipStatement();
      else {
        values.push(next());
        take('=');
        next();
        parseOptions();
        take(';');
      }
    }
    take('}');
    proto.enums.set(name, values);
  };
  const parseMessage = () => {
    take('message');
    const name = next();
    const fields: ProtoField[] = [];
    take('{');
    while (peek() !== '}') {
      const token = peek();
      if (token === 'message') parseMessage();
      else if (token === 'enum') parseEnum();
      else if (token === 'option' || token === 'reserved') skipStatement();
      else if (token === 'oneof') {
        take('oneof');
        const group = next();
        take('{');
        while (peek() !== '}') {
          if (peek() === 'option') skipStatement();
          else fields.push(parseField(group));
        }
        take('}');
      } else fields.push(parseField());
    }
    take('}');
    proto.messages.set(name, fields);
  };
  while (at < tokens.length) {
    if (peek() === 'message') parseMessage();
    else if (peek() === 'enum') parseEnum();
    else if (peek() === ';') at++;
    else skipStatement();
  }
  return proto;
}

// --- Describing both sides in one vocabulary, so a mismatch reads as a diff. ---

function describeProtoType(type: string, proto: Proto): string {
  switch (type) {
    case 'string':
    case 'bytes':
    case 'google.protobuf.Timestamp':
      return 'string';
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'google.protobuf.Struct':
      return 'map<json>';
    case 'google.protobuf.Value':
      return 'json';
    default:
      if (proto.messages.has(type) || proto.enums.has(type)) return type;
      throw new Error(`a2a.proto uses a type this test does not know: ${type}`);
  }
}

function describeProtoField(field: ProtoField, proto: Proto): string {
  const type = describeProtoType(field.type, proto);
  const kind =
    field.label === 'repeated' ? `${type}[]` : field.label === 'map' ? `map<${type}>` : type;
  return `${field.required ? 'required' : 'optional'} ${kind}`;
}

function describeZodType(schema: z.ZodType, proto: Proto): string {
  if (schema instanceof z.ZodOptional) return describeZodType(schema.unwrap() as z.ZodType, proto);
  // Free-form values are checked (depth, text) by a preprocess in front of their real type.
  if (schema instanceof z.ZodPipe) return describeZodType(schema.out as z.ZodType, proto);
  if (schema instanceof z.ZodArray)
    return `${describeZodType(schema.element as z.ZodType, proto)}[]`;
  if (schema instanceof z.ZodRecord) {
    return `map<${describeZodType(schema.valueType as z.ZodType, proto)}>`;
  }
  if (schema instanceof z.ZodObject) {
    const name = Object.keys(MESSAGE_SCHEMAS).find((key) => MESSAGE_SCHEMAS[key] === schema);
    return name ?? 'an object not in MESSAGE_SCHEMAS';
  }
  if (schema instanceof z.ZodEnum) {
    // A required enum field may leave out `_UNSPECIFIED`; a closed set of plain strings
    // (APIKeySecurityScheme.location) reads as the proto `string` it refines.
    const options = schema.options as string[];
    const name = [...proto.enums].find(([, values]) => options.every((o) => values.includes(o)));
    return name?.[0] ?? 'string';
  }
  // Leaves by `def.type`: string formats (z.iso.datetime) are not ZodString instances.
  switch (schema.def.type) {
    case 'lazy':
      return 'json';
    case 'string':
    case 'number':
    case 'boolean':
      return schema.def.type;
    default:
      return `unexpected zod ${schema.def.type}`;
  }
}

function describeZodField(schema: z.ZodType, proto: Proto): string {
  return `${schema.isOptional() ? 'optional' : 'required'} ${describeZodType(schema, proto)}`;
}

function oneofMembersOf(schema: z.ZodObject): string[] {
  const groups = schema.meta()?.oneOf as { required: string[] }[] | undefined;
  return groups?.flatMap((group) => group.required) ?? [];
}

const proto = parseProto(readFileSync(PROTO_PATH, 'utf8'));

describe('parity of src/protocol/ with a2a.proto', () => {
  it('reads messages, REQUIRED fields, oneof groups and enums from a2a.proto', () => {
    expect(proto.messages.size).toBeGreaterThan(40);
    expect(proto.messages.get('Part')?.filter((f) => f.oneof === 'content')).toHaveLength(4);
    expect(proto.messages.get('OAuth2SecurityScheme')?.map((f) => f.jsonName)).toContain(
      'oauth2MetadataUrl',
    );
    expect(proto.messages.get('Task')?.find((f) => f.jsonName === 'id')?.required).toBe(true);
    expect(proto.enums.get('Role')).toEqual(['ROLE_UNSPECIFIED', 'ROLE_USER', 'ROLE_AGENT']);
  });

  it('models every message and enum of a2a.proto, and nothing the proto lacks', () => {
    expect(Object.keys(MESSAGE_SCHEMAS).sort()).toEqual([...proto.messages.keys()].sort());
    expect(Object.keys(ENUM_SCHEMAS).sort()).toEqual([...proto.enums.keys()].sort());
  });

  it.each(Object.keys(MESSAGE_SCHEMAS))(
    '%s has exactly the proto fields, by JSON name, with the same required-ness and types',
    (name) => {
      const schema = MESSAGE_SCHEMAS[name]!;
      const fields = proto.messages.get(name) ?? [];
      const expected = Object.fromEntries(
        fields.map((field) => [field.jsonName, describeProtoField(field, proto)]),
      );
      const actual = Object.fromEntries(
        Object.entries(schema.shape).map(([key, field]) => [
          key,
          describeZodField(field as z.ZodType, proto),
        ]),
      );
      expect(actual).toEqual(expected);
    },
  );

  it.each(Object.keys(MESSAGE_SCHEMAS))(
    '%s requires exactly one member of each proto oneof and no other field',
    (name) => {
      const fields = proto.messages.get(name) ?? [];
      const members = fields.filter((field) => field.oneof).map((field) => field.jsonName);
      expect(oneofMembersOf(MESSAGE_SCHEMAS[name]!)).toEqual(members);
    },
  );

  it.each(Object.keys(ENUM_SCHEMAS))('%s has exactly the proto values, in order', (name) => {
    expect(ENUM_SCHEMAS[name]!.options).toEqual(proto.enums.get(name));
  });
});
