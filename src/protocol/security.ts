import { z } from 'zod';
import { exactlyOneOf, RequiredStringSchema } from './primitives.js';

/** a2a.proto `StringList`: wraps a list so it can be a map value. */
export const StringListSchema = z.object({
  list: z.array(z.string()).optional(),
});
export type StringList = z.infer<typeof StringListSchema>;

/** a2a.proto `SecurityRequirement`: security scheme name to the scopes it needs. */
export const SecurityRequirementSchema = z.object({
  schemes: z.record(z.string(), StringListSchema).optional(),
});
export type SecurityRequirement = z.infer<typeof SecurityRequirementSchema>;

// OpenAPI scope maps: scope name to a short description; REQUIRED maps may still be empty.
const ScopesSchema = z.record(z.string(), z.string());

/** a2a.proto `APIKeySecurityScheme`. */
export const APIKeySecuritySchemeSchema = z.object({
  description: z.string().optional(),
  // The proto types this as a string but names its only valid values.
  location: z.enum(['query', 'header', 'cookie']),
  name: RequiredStringSchema,
});
export type APIKeySecurityScheme = z.infer<typeof APIKeySecuritySchemeSchema>;

/** a2a.proto `HTTPAuthSecurityScheme`. */
export const HTTPAuthSecuritySchemeSchema = z.object({
  description: z.string().optional(),
  scheme: RequiredStringSchema,
  bearerFormat: z.string().optional(),
});
export type HTTPAuthSecurityScheme = z.infer<typeof HTTPAuthSecuritySchemeSchema>;

/** a2a.proto `AuthorizationCodeOAuthFlow`. */
export const AuthorizationCodeOAuthFlowSchema = z.object({
  authorizationUrl: RequiredStringSchema,
  tokenUrl: RequiredStringSchema,
  refreshUrl: z.string().optional(),
  scopes: ScopesSchema,
  pkceRequired: z.boolean().optional(),
});
export type AuthorizationCodeOAuthFlow = z.infer<typeof AuthorizationCodeOAuthFlowSchema>;

/** a2a.proto `ClientCredentialsOAuthFlow`. */
export const ClientCredentialsOAuthFlowSchema = z.object({
  tokenUrl: RequiredStringSchema,
  refreshUrl: z.string().optional(),
  scopes: ScopesSchema,
});
export type ClientCredentialsOAuthFlow = z.infer<typeof ClientCredentialsOAuthFlowSchema>;

/** a2a.proto `ImplicitOAuthFlow` (deprecated in the proto; still accepted on the wire). */
export const ImplicitOAuthFlowSchema = z.object({
  authorizationUrl: z.string().optional(),
  refreshUrl: z.string().optional(),
  scopes: ScopesSchema.optional(),
});
export type ImplicitOAuthFlow = z.infer<typeof ImplicitOAuthFlowSchema>;

/** a2a.proto `PasswordOAuthFlow` (deprecated in the proto; still accepted on the wire). */
export const PasswordOAuthFlowSchema = z.object({
  tokenUrl: z.string().optional(),
  refreshUrl: z.string().optional(),
  scopes: ScopesSchema.optional(),
});
export type PasswordOAuthFlow = z.infer<typeof PasswordOAuthFlowSchema>;

/** a2a.proto `DeviceCodeOAuthFlow` (RFC 8628). */
export const DeviceCodeOAuthFlowSchema = z.object({
  deviceAuthorizationUrl: RequiredStringSchema,
  tokenUrl: RequiredStringSchema,
  refreshUrl: z.string().optional(),
  scopes: ScopesSchema,
});
export type DeviceCodeOAuthFlow = z.infer<typeof DeviceCodeOAuthFlowSchema>;

/** a2a.proto `OAuthFlows`: `oneof flow`, so one flow per OAuth2 scheme. */
export const OAuthFlowsSchema = exactlyOneOf(
  z.object({
    authorizationCode: AuthorizationCodeOAuthFlowSchema.optional(),
    clientCredentials: ClientCredentialsOAuthFlowSchema.optional(),
    implicit: ImplicitOAuthFlowSchema.optional(),
    password: PasswordOAuthFlowSchema.optional(),
    deviceCode: DeviceCodeOAuthFlowSchema.optional(),
  }),
  ['authorizationCode', 'clientCredentials', 'implicit', 'password', 'deviceCode'],
);
export type OAuthFlows = z.infer<typeof OAuthFlowsSchema>;

/** a2a.proto `OAuth2SecurityScheme`. */
export const OAuth2SecuritySchemeSchema = z.object({
  description: z.string().optional(),
  flows: OAuthFlowsSchema,
  oauth2MetadataUrl: z.string().optional(),
});
export type OAuth2SecurityScheme = z.infer<typeof OAuth2SecuritySchemeSchema>;

/** a2a.proto `OpenIdConnectSecurityScheme`. */
export const OpenIdConnectSecuritySchemeSchema = z.object({
  description: z.string().optional(),
  openIdConnectUrl: RequiredStringSchema,
});
export type OpenIdConnectSecurityScheme = z.infer<typeof OpenIdConnectSecuritySchemeSchema>;

/** a2a.proto `MutualTlsSecurityScheme`. */
export const MutualTlsSecuritySchemeSchema = z.object({
  description: z.string().optional(),
});
export type MutualTlsSecurityScheme = z.infer<typeof MutualTlsSecuritySchemeSchema>;

/** a2a.proto `SecurityScheme`: `oneof scheme`; the member name replaces OpenAPI's `type`. */
export const SecuritySchemeSchema = exactlyOneOf(
  z.object({
    apiKeySecurityScheme: APIKeySecuritySchemeSchema.optional(),
    httpAuthSecurityScheme: HTTPAuthSecuritySchemeSchema.optional(),
    oauth2SecurityScheme: OAuth2SecuritySchemeSchema.optional(),
    openIdConnectSecurityScheme: OpenIdConnectSecuritySchemeSchema.optional(),
    mtlsSecurityScheme: MutualTlsSecuritySchemeSchema.optional(),
  }),
  [
    'apiKeySecurityScheme',
    'httpAuthSecurityScheme',
    'oauth2SecurityScheme',
    'openIdConnectSecurityScheme',
    'mtlsSecurityScheme',
  ],
);
export type SecurityScheme = z.infer<typeof SecuritySchemeSchema>;
