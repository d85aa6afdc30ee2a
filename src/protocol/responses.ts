import { z } from 'zod';
import { MessageSchema } from './message.js';
import { CountSchema, exactlyOneOf } from './primitives.js';
import { TaskPushNotificationConfigSchema } from './push-notification.js';
import { TaskArtifactUpdateEventSchema, TaskSchema, TaskStatusUpdateEventSchema } from './task.js';

/** a2a.proto `SendMessageResponse`: `oneof payload`, a task or a direct message (§9.4.1). */
export const SendMessageResponseSchema = exactlyOneOf(
  z.object({
    task: TaskSchema.optional(),
    message: MessageSchema.optional(),
  }),
  ['task', 'message'],
);
export type SendMessageResponse = z.infer<typeof SendMessageResponseSchema>;

/** a2a.proto `StreamResponse`: one SSE event or push payload (§3.2.3, §4.3.3). */
export const StreamResponseSchema = exactlyOneOf(
  z.object({
    task: TaskSchema.optional(),
    message: MessageSchema.optional(),
    statusUpdate: TaskStatusUpdateEventSchema.optional(),
    artifactUpdate: TaskArtifactUpdateEventSchema.optional(),
  }),
  ['task', 'message', 'statusUpdate', 'artifactUpdate'],
);
export type StreamResponse = z.infer<typeof StreamResponseSchema>;

/** a2a.proto `ListTasksResponse` (§3.1.4). */
export const ListTasksResponseSchema = z.object({
  // REQUIRED, but an empty page is a valid answer, so §5.7's one-element rule cannot apply.
  tasks: z.array(TaskSchema),
  // REQUIRED and always present; §3.1.4 makes it "" on the last page.
  nextPageToken: z.string(),
  pageSize: CountSchema,
  totalSize: CountSchema,
});
export type ListTasksResponse = z.infer<typeof ListTasksResponseSchema>;

/** a2a.proto `ListTaskPushNotificationConfigsResponse` (§3.1.9). */
export const ListTaskPushNotificationConfigsResponseSchema = z.object({
  configs: z.array(TaskPushNotificationConfigSchema).optional(),
  nextPageToken: z.string().optional(),
});
export type ListTaskPushNotificationConfigsResponse = z.infer<
  typeof ListTaskPushNotificationConfigsResponseSchema
>;
