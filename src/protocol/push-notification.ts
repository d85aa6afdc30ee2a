import { z } from 'zod';
import { RequiredStringSchema, TextSchema } from './primitives.js';

/** a2a.proto `AuthenticationInfo`: how the agent authenticates to a push webhook (§4.3.2). */
export const AuthenticationInfoSchema = z.object({
  scheme: RequiredStringSchema,
  credentials: TextSchema.optional(),
});
export type AuthenticationInfo = z.infer<typeof AuthenticationInfoSchema>;

/**
 * a2a.proto `TaskPushNotificationConfig`: a webhook for one task. Only `url` is REQUIRED:
 * the config travels without `taskId` inside `SendMessageConfiguration` and without `id`
 * before the server assigns one (§3.1.7).
 */
export const TaskPushNotificationConfigSchema = z.object({
  tenant: TextSchema.optional(),
  id: TextSchema.optional(),
  taskId: TextSchema.optional(),
  url: RequiredStringSchema,
  token: TextSchema.optional(),
  authentication: AuthenticationInfoSchema.optional(),
});
export type TaskPushNotificationConfig = z.infer<typeof TaskPushNotificationConfigSchema>;
