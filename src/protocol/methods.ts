import type { z } from 'zod';
import { TaskPushNotificationConfigSchema } from './push-notification.js';
import {
  CancelTaskRequestSchema,
  DeleteTaskPushNotificationConfigRequestSchema,
  GetExtendedAgentCardRequestSchema,
  GetTaskPushNotificationConfigRequestSchema,
  GetTaskRequestSchema,
  ListTaskPushNotificationConfigsRequestSchema,
  ListTasksRequestSchema,
  SendMessageRequestSchema,
  SubscribeToTaskRequestSchema,
} from './requests.js';

/** The v1.0 JSON-RPC methods: the gRPC method names, PascalCase (§5.3, §9.1). */
export const A2A_METHODS = [
  'SendMessage',
  'SendStreamingMessage',
  'GetTask',
  'ListTasks',
  'CancelTask',
  'SubscribeToTask',
  'CreateTaskPushNotificationConfig',
  'GetTaskPushNotificationConfig',
  'ListTaskPushNotificationConfigs',
  'DeleteTaskPushNotificationConfig',
  'GetExtendedAgentCard',
] as const;
export type A2aMethod = (typeof A2A_METHODS)[number];

/**
 * The `params` schema of each method: the request message of its rpc in a2a.proto.
 * `GetExtendedAgentCard` may arrive without `params` (§9.4.8); the binding parses `{}` then.
 */
export const A2A_PARAMS_SCHEMAS = {
  SendMessage: SendMessageRequestSchema,
  SendStreamingMessage: SendMessageRequestSchema,
  GetTask: GetTaskRequestSchema,
  ListTasks: ListTasksRequestSchema,
  CancelTask: CancelTaskRequestSchema,
  SubscribeToTask: SubscribeToTaskRequestSchema,
  // The rpc takes the config itself, not a wrapper request (a2a.proto A2AService).
  CreateTaskPushNotificationConfig: TaskPushNotificationConfigSchema,
  GetTaskPushNotificationConfig: GetTaskPushNotificationConfigRequestSchema,
  ListTaskPushNotificationConfigs: ListTaskPushNotificationConfigsRequestSchema,
  DeleteTaskPushNotificationConfig: DeleteTaskPushNotificationConfigRequestSchema,
  GetExtendedAgentCard: GetExtendedAgentCardRequestSchema,
} as const satisfies Record<A2aMethod, z.ZodType>;
