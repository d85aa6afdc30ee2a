import { z } from 'zod';
import {
  BytesSchema,
  CountSchema,
  exactlyOneOf,
  RequiredStringSchema,
  StructSchema,
  TextSchema,
} from '../primitives.js';

// The A2A v0.3 shapes carried by the JSON-RPC binding (a2a.json of 0.3.0, as typed by
// @a2a-js/sdk `compat/v0_3`). Only the edge reads them: translate.ts maps them to v1.0.
// Params strip unknown fields (servers SHOULD ignore them); ids use v1.0's non-empty rule and
// text v1.0's storable-text rule, so a bad id or text is reported with its v0.3 path, not
// later under a v1.0 one.

/** v0.3 `TaskState`: lowercase kebab-case; `unknown` stands for v1.0's unspecified state. */
export const V03TaskStateSchema = z.enum([
  'submitted',
  'working',
  'input-required',
  'completed',
  'canceled',
  'failed',
  'rejected',
  'auth-required',
  'unknown',
]);
export type V03TaskState = z.infer<typeof V03TaskStateSchema>;

/** v0.3 `TextPart`. */
export const V03TextPartSchema = z.object({
  kind: z.literal('text'),
  text: TextSchema,
  metadata: StructSchema.optional(),
});

/** v0.3 `FileWithBytes` | `FileWithUri`: one object, since exactly one of the two is set. */
export const V03FileSchema = exactlyOneOf(
  z.object({
    bytes: BytesSchema.optional(),
    uri: TextSchema.optional(),
    name: TextSchema.optional(),
    mimeType: TextSchema.optional(),
  }),
  ['bytes', 'uri'],
);
export type V03File = z.infer<typeof V03FileSchema>;

/** v0.3 `FilePart`. */
export const V03FilePartSchema = z.object({
  kind: z.literal('file'),
  file: V03FileSchema,
  metadata: StructSchema.optional(),
});

/** v0.3 `DataPart`: `data` is a JSON object, narrower than v1.0's any JSON value. */
export const V03DataPartSchema = z.object({
  kind: z.literal('data'),
  data: StructSchema,
  metadata: StructSchema.optional(),
});

/** v0.3 `Part`: `kind` is the discriminator v1.0 replaced by member names. */
export const V03PartSchema = z.discriminatedUnion('kind', [
  V03TextPartSchema,
  V03FilePartSchema,
  V03DataPartSchema,
]);
export type V03Part = z.infer<typeof V03PartSchema>;

/** v0.3 `Message`. */
export const V03MessageSchema = z.object({
  kind: z.literal('message'),
  messageId: RequiredStringSchema,
  role: z.enum(['user', 'agent']),
  parts: z.array(V03PartSchema).min(1),
  contextId: TextSchema.optional(),
  taskId: TextSchema.optional(),
  metadata: StructSchema.optional(),
  extensions: z.array(TextSchema).optional(),
  referenceTaskIds: z.array(TextSchema).optional(),
});
export type V03Message = z.infer<typeof V03MessageSchema>;

/** v0.3 `TaskStatus`: the timestamp is a looser ISO 8601 string than v1.0's. */
export const V03TaskStatusSchema = z.object({
  state: V03TaskStateSchema,
  message: V03MessageSchema.optional(),
  timestamp: TextSchema.optional(),
});
export type V03TaskStatus = z.infer<typeof V03TaskStatusSchema>;

/** v0.3 `Artifact`. */
export const V03ArtifactSchema = z.object({
  artifactId: RequiredStringSchema,
  name: TextSchema.optional(),
  description: TextSchema.optional(),
  parts: z.array(V03PartSchema).min(1),
  metadata: StructSchema.optional(),
  extensions: z.array(TextSchema).optional(),
});
export type V03Artifact = z.infer<typeof V03ArtifactSchema>;

/** v0.3 `Task`: unlike v1.0, `contextId` is required. */
export const V03TaskSchema = z.object({
  kind: z.literal('task'),
  id: RequiredStringSchema,
  contextId: TextSchema,
  status: V03TaskStatusSchema,
  artifacts: z.array(V03ArtifactSchema).optional(),
  history: z.array(V03MessageSchema).optional(),
  metadata: StructSchema.optional(),
});
export type V03Task = z.infer<typeof V03TaskSchema>;

/** v0.3 `TaskStatusUpdateEvent`: `final` marks the last event of the stream. */
export const V03TaskStatusUpdateEventSchema = z.object({
  kind: z.literal('status-update'),
  taskId: RequiredStringSchema,
  contextId: TextSchema,
  status: V03TaskStatusSchema,
  final: z.boolean(),
  metadata: StructSchema.optional(),
});
export type V03TaskStatusUpdateEvent = z.infer<typeof V03TaskStatusUpdateEventSchema>;

/** v0.3 `TaskArtifactUpdateEvent`. */
export const V03TaskArtifactUpdateEventSchema = z.object({
  kind: z.literal('artifact-update'),
  taskId: RequiredStringSchema,
  contextId: TextSchema,
  artifact: V03ArtifactSchema,
  append: z.boolean().optional(),
  lastChunk: z.boolean().optional(),
  metadata: StructSchema.optional(),
});
export type V03TaskArtifactUpdateEvent = z.infer<typeof V03TaskArtifactUpdateEventSchema>;

/** One `message/stream` or `tasks/resubscribe` result: the bare event, told apart by `kind`. */
export const V03StreamEventSchema = z.discriminatedUnion('kind', [
  V03TaskSchema,
  V03MessageSchema,
  V03TaskStatusUpdateEventSchema,
  V03TaskArtifactUpdateEventSchema,
]);
export type V03StreamEvent = z.infer<typeof V03StreamEventSchema>;

/** v0.3 `PushNotificationAuthenticationInfo`: the webhook's schemes, any of which will do. */
export const V03PushNotificationAuthenticationInfoSchema = z.object({
  // v1.0 carries exactly one scheme, so an empty list has nothing to translate to.
  schemes: z.array(RequiredStringSchema).min(1),
  credentials: TextSchema.optional(),
});
export type V03PushNotificationAuthenticationInfo = z.infer<
  typeof V03PushNotificationAuthenticationInfoSchema
>;

/** v0.3 `PushNotificationConfig`. */
export const V03PushNotificationConfigSchema = z.object({
  id: TextSchema.optional(),
  url: RequiredStringSchema,
  token: TextSchema.optional(),
  authentication: V03PushNotificationAuthenticationInfoSchema.optional(),
});
export type V03PushNotificationConfig = z.infer<typeof V03PushNotificationConfigSchema>;

/** v0.3 `TaskPushNotificationConfig`: params and result of `tasks/pushNotificationConfig/set`. */
export const V03TaskPushNotificationConfigSchema = z.object({
  taskId: RequiredStringSchema,
  pushNotificationConfig: V03PushNotificationConfigSchema,
});
export type V03TaskPushNotificationConfig = z.infer<typeof V03TaskPushNotificationConfigSchema>;

/** v0.3 `MessageSendConfiguration`. */
export const V03MessageSendConfigurationSchema = z.object({
  acceptedOutputModes: z.array(TextSchema).optional(),
  historyLength: CountSchema.optional(),
  pushNotificationConfig: V03PushNotificationConfigSchema.optional(),
  blocking: z.boolean().optional(),
});
export type V03MessageSendConfiguration = z.infer<typeof V03MessageSendConfigurationSchema>;

/** v0.3 `MessageSendParams`: params of `message/send` and `message/stream`. */
export const V03MessageSendParamsSchema = z.object({
  message: V03MessageSchema,
  configuration: V03MessageSendConfigurationSchema.optional(),
  metadata: StructSchema.optional(),
});
export type V03MessageSendParams = z.infer<typeof V03MessageSendParamsSchema>;

/** v0.3 `TaskQueryParams`: params of `tasks/get`. */
export const V03TaskQueryParamsSchema = z.object({
  id: RequiredStringSchema,
  historyLength: CountSchema.optional(),
  metadata: StructSchema.optional(),
});
export type V03TaskQueryParams = z.infer<typeof V03TaskQueryParamsSchema>;

/** v0.3 `TaskIdParams`: params of `tasks/cancel` and `tasks/resubscribe`. */
export const V03TaskIdParamsSchema = z.object({
  id: RequiredStringSchema,
  metadata: StructSchema.optional(),
});
export type V03TaskIdParams = z.infer<typeof V03TaskIdParamsSchema>;

/** v0.3 `GetTaskPushNotificationConfigParams`; `id` is the task's id. */
export const V03GetTaskPushNotificationConfigParamsSchema = z.object({
  id: RequiredStringSchema,
  pushNotificationConfigId: RequiredStringSchema.optional(),
  metadata: StructSchema.optional(),
});
export type V03GetTaskPushNotificationConfigParams = z.infer<
  typeof V03GetTaskPushNotificationConfigParamsSchema
>;

/** v0.3 `ListTaskPushNotificationConfigParams`: no paging in v0.3. */
export const V03ListTaskPushNotificationConfigParamsSchema = V03TaskIdParamsSchema;
export type V03ListTaskPushNotificationConfigParams = V03TaskIdParams;

/** v0.3 `DeleteTaskPushNotificationConfigParams`. */
export const V03DeleteTaskPushNotificationConfigParamsSchema = z.object({
  id: RequiredStringSchema,
  pushNotificationConfigId: RequiredStringSchema,
  metadata: StructSchema.optional(),
});
export type V03DeleteTaskPushNotificationConfigParams = z.infer<
  typeof V03DeleteTaskPushNotificationConfigParamsSchema
>;

// ---- Agent card: the v0.3 OpenAPI-like security schemes and the flat card. ----

const ScopesSchema = z.record(z.string(), z.string());
const describable = { description: z.string().optional() };

/** v0.3 `OAuthFlows`: OpenAPI 3.0's four flows, none of them required. */
export const V03OAuthFlowsSchema = z.object({
  authorizationCode: z
    .object({
      authorizationUrl: z.string(),
      tokenUrl: z.string(),
      refreshUrl: z.string().optional(),
      scopes: ScopesSchema,
    })
    .optional(),
  clientCredentials: z
    .object({ tokenUrl: z.string(), refreshUrl: z.string().optional(), scopes: ScopesSchema })
    .optional(),
  implicit: z
    .object({
      authorizationUrl: z.string(),
      refreshUrl: z.string().optional(),
      scopes: ScopesSchema,
    })
    .optional(),
  password: z
    .object({ tokenUrl: z.string(), refreshUrl: z.string().optional(), scopes: ScopesSchema })
    .optional(),
});
export type V03OAuthFlows = z.infer<typeof V03OAuthFlowsSchema>;

/** v0.3 `SecurityScheme`: OpenAPI 3.0's Security Scheme Object, told apart by `type`. */
export const V03SecuritySchemeSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('apiKey'),
    in: z.enum(['query', 'header', 'cookie']),
    name: z.string(),
    ...describable,
  }),
  z.object({
    type: z.literal('http'),
    scheme: z.string(),
    bearerFormat: z.string().optional(),
    ...describable,
  }),
  z.object({
    type: z.literal('oauth2'),
    flows: V03OAuthFlowsSchema,
    oauth2MetadataUrl: z.string().optional(),
    ...describable,
  }),
  z.object({ type: z.literal('openIdConnect'), openIdConnectUrl: z.string(), ...describable }),
  z.object({ type: z.literal('mutualTLS'), ...describable }),
]);
export type V03SecurityScheme = z.infer<typeof V03SecuritySchemeSchema>;

/** v0.3 security requirement: OpenAPI's scheme name to scopes, not v1.0's wrapped lists. */
export const V03SecurityRequirementSchema = z.record(z.string(), z.array(z.string()));
export type V03SecurityRequirement = z.infer<typeof V03SecurityRequirementSchema>;

/** v0.3 `AgentExtension`: unlike v1.0, `uri` is required. */
export const V03AgentExtensionSchema = z.object({
  uri: z.string(),
  description: z.string().optional(),
  required: z.boolean().optional(),
  params: StructSchema.optional(),
});

/** v0.3 `AgentSkill`. */
export const V03AgentSkillSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  examples: z.array(z.string()).optional(),
  inputModes: z.array(z.string()).optional(),
  outputModes: z.array(z.string()).optional(),
  security: z.array(V03SecurityRequirementSchema).optional(),
});
export type V03AgentSkill = z.infer<typeof V03AgentSkillSchema>;

/** v0.3 `AgentCard`: one card-level URL, transport and protocol version. */
export const V03AgentCardSchema = z.object({
  protocolVersion: z.string(),
  name: z.string(),
  description: z.string(),
  url: z.string(),
  preferredTransport: z.string().optional(),
  additionalInterfaces: z.array(z.object({ url: z.string(), transport: z.string() })).optional(),
  iconUrl: z.string().optional(),
  provider: z.object({ organization: z.string(), url: z.string() }).optional(),
  version: z.string(),
  documentationUrl: z.string().optional(),
  capabilities: z.object({
    streaming: z.boolean().optional(),
    pushNotifications: z.boolean().optional(),
    stateTransitionHistory: z.boolean().optional(),
    extensions: z.array(V03AgentExtensionSchema).optional(),
  }),
  securitySchemes: z.record(z.string(), V03SecuritySchemeSchema).optional(),
  security: z.array(V03SecurityRequirementSchema).optional(),
  defaultInputModes: z.array(z.string()),
  defaultOutputModes: z.array(z.string()),
  skills: z.array(V03AgentSkillSchema),
  supportsAuthenticatedExtendedCard: z.boolean().optional(),
  signatures: z
    .array(
      z.object({
        protected: z.string(),
        signature: z.string(),
        header: StructSchema.optional(),
      }),
    )
    .optional(),
});
export type V03AgentCard = z.infer<typeof V03AgentCardSchema>;
