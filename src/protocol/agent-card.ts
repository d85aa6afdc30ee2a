import { z } from 'zod';
import { RequiredStringSchema, StructSchema } from './primitives.js';
import { SecurityRequirementSchema, SecuritySchemeSchema } from './security.js';

/** a2a.proto `AgentInterface`: one URL, binding and protocol version the agent serves. */
export const AgentInterfaceSchema = z.object({
  url: RequiredStringSchema,
  // An open string: `JSONRPC`, `GRPC`, `HTTP+JSON`, or a URI for a custom binding (§5.8).
  protocolBinding: RequiredStringSchema,
  tenant: z.string().optional(),
  protocolVersion: RequiredStringSchema,
});
export type AgentInterface = z.infer<typeof AgentInterfaceSchema>;

/** a2a.proto `AgentProvider`. */
export const AgentProviderSchema = z.object({
  url: RequiredStringSchema,
  organization: RequiredStringSchema,
});
export type AgentProvider = z.infer<typeof AgentProviderSchema>;

/** a2a.proto `AgentExtension`: `params` is extension-defined, so it stays an open object. */
export const AgentExtensionSchema = z.object({
  // Not REQUIRED in the proto, odd as it is for an identifier.
  uri: z.string().optional(),
  description: z.string().optional(),
  required: z.boolean().optional(),
  params: StructSchema.optional(),
});
export type AgentExtension = z.infer<typeof AgentExtensionSchema>;

/** a2a.proto `AgentCapabilities`: the optional features the agent offers (§3.3.4). */
export const AgentCapabilitiesSchema = z.object({
  streaming: z.boolean().optional(),
  pushNotifications: z.boolean().optional(),
  extensions: z.array(AgentExtensionSchema).optional(),
  extendedAgentCard: z.boolean().optional(),
});
export type AgentCapabilities = z.infer<typeof AgentCapabilitiesSchema>;

/** a2a.proto `AgentSkill`. */
export const AgentSkillSchema = z.object({
  id: RequiredStringSchema,
  name: RequiredStringSchema,
  description: RequiredStringSchema,
  // §5.7: a REQUIRED array holds at least one element.
  tags: z.array(z.string()).min(1),
  examples: z.array(z.string()).optional(),
  inputModes: z.array(z.string()).optional(),
  outputModes: z.array(z.string()).optional(),
  securityRequirements: z.array(SecurityRequirementSchema).optional(),
});
export type AgentSkill = z.infer<typeof AgentSkillSchema>;

/** a2a.proto `AgentCardSignature`: a JWS in JSON serialization (§8.4.2). */
export const AgentCardSignatureSchema = z.object({
  protected: RequiredStringSchema,
  signature: RequiredStringSchema,
  header: StructSchema.optional(),
});
export type AgentCardSignature = z.infer<typeof AgentCardSignatureSchema>;

/** a2a.proto `AgentCard`: the agent's self-description (§4.4.1, §8). */
export const AgentCardSchema = z.object({
  name: RequiredStringSchema,
  description: RequiredStringSchema,
  // §5.7: a REQUIRED array holds at least one element; the first interface is preferred.
  supportedInterfaces: z.array(AgentInterfaceSchema).min(1),
  provider: AgentProviderSchema.optional(),
  version: RequiredStringSchema,
  documentationUrl: z.string().optional(),
  capabilities: AgentCapabilitiesSchema,
  securitySchemes: z.record(z.string(), SecuritySchemeSchema).optional(),
  securityRequirements: z.array(SecurityRequirementSchema).optional(),
  defaultInputModes: z.array(z.string()).min(1),
  defaultOutputModes: z.array(z.string()).min(1),
  skills: z.array(AgentSkillSchema).min(1),
  signatures: z.array(AgentCardSignatureSchema).optional(),
  iconUrl: z.string().optional(),
});
export type AgentCard = z.infer<typeof AgentCardSchema>;
