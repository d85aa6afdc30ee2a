import { z } from 'zod';
import { MessageSchema } from './message.js';
import {
  CountSchema,
  RequiredStringSchema,
  StructSchema,
  TextSchema,
  TimestampSchema,
} from './primitives.js';
import { TaskPushNotificationConfigSchema } from './push-notification.js';
import { TaskStateSchema } from './task.js';

// Request params are plain (stripping) objects: servers SHOULD ignore unknown fields (§5.7).

/** a2a.proto `SendMessageConfiguration` (§3.2.2). */
export const SendMessageConfigurationSchema = z.object({
  acceptedOutputModes: z.array(TextSchema).optional(),
  taskPushNotificationConfig: TaskPushNotificationConfigSchema.optional(),
  historyLength: CountSchema.optional(),
  returnImmediately: z.boolean().optional(),
});
export type SendMessageConfiguration = z.infer<typeof SendMessageConfigurationSchema>;

/** a2a.proto `SendMessageRequest`: params of `SendMessage` and `SendStreamingMessage`. */
export const SendMessageRequestSchema = z.object({
  tenant: TextSchema.optional(),
  message: MessageSchema,
  configuration: SendMessageConfigurationSchema.optional(),
  metadata: StructSchema.optional(),
});
export type SendMessageRequest = z.infer<typeof SendMessageRequestSchema>;

/** a2a.proto `GetTaskRequest` (§3.1.3). */
export const GetTaskRequestSchema = z.object({
  tenant: TextSchema.optional(),
  id: RequiredStringSchema,
  historyLength: CountSchema.optional(),
});
export type GetTaskRequest = z.infer<typeof GetTaskRequestSchema>;

/** a2a.proto `ListTasksRequest` (§3.1.4). */
export const ListTasksRequestSchema = z.object({
  tenant: TextSchema.optional(),
  contextId: TextSchema.optional(),
  status: TaskStateSchema.optional(),
  // The proto bounds page_size to 1..100; §6.5 shows 150 rejected as invalid params.
  pageSize: z.int32().min(1).max(100).optional(),
  pageToken: TextSchema.optional(),
  historyLength: CountSchema.optional(),
  statusTimestampAfter: TimestampSchema.optional(),
  includeArtifacts: z.boolean().optional(),
});
export type ListTasksRequest = z.infer<typeof ListTasksRequestSchema>;

/** a2a.proto `CancelTaskRequest` (§3.1.5). */
export const CancelTaskRequestSchema = z.object({
  tenant: TextSchema.optional(),
  id: RequiredStringSchema,
  metadata: StructSchema.optional(),
});
export type CancelTaskRequest = z.infer<typeof CancelTaskRequestSchema>;

/** a2a.proto `SubscribeToTaskRequest` (§3.1.6). */
export const SubscribeToTaskRequestSchema = z.object({
  tenant: TextSchema.optional(),
  id: RequiredStringSchema,
});
export type SubscribeToTaskRequest = z.infer<typeof SubscribeToTaskRequestSchema>;

/** a2a.proto `GetTaskPushNotificationConfigRequest` (§3.1.8). */
export const GetTaskPushNotificationConfigRequestSchema = z.object({
  tenant: TextSchema.optional(),
  taskId: RequiredStringSchema,
  id: RequiredStringSchema,
});
export type GetTaskPushNotificationConfigRequest = z.infer<
  typeof GetTaskPushNotificationConfigRequestSchema
>;

/** a2a.proto `ListTaskPushNotificationConfigsRequest` (§3.1.9). */
export const ListTaskPushNotificationConfigsRequestSchema = z.object({
  tenant: TextSchema.optional(),
  taskId: RequiredStringSchema,
  pageSize: CountSchema.optional(),
  pageToken: TextSchema.optional(),
});
export type ListTaskPushNotificationConfigsRequest = z.infer<
  typeof ListTaskPushNotificationConfigsRequestSchema
>;

/** a2a.proto `DeleteTaskPushNotificationConfigRequest` (§3.1.10). */
export const DeleteTaskPushNotificationConfigRequestSchema = z.object({
  tenant: TextSchema.optional(),
  taskId: RequiredStringSchema,
  id: RequiredStringSchema,
});
export type DeleteTaskPushNotificationConfigRequest = z.infer<
  typeof DeleteTaskPushNotificationConfigRequestSchema
>;

/** a2a.proto `GetExtendedAgentCardRequest` (§3.1.11); §9.4.8 sends it with no params at all. */
export const GetExtendedAgentCardRequestSchema = z.object({
  tenant: TextSchema.optional(),
});
export type GetExtendedAgentCardRequest = z.infer<typeof GetExtendedAgentCardRequestSchema>;
