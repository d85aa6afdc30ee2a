import { z } from 'zod';
import { MessageSchema, PartSchema } from './message.js';
import { RequiredStringSchema, StructSchema, TextSchema, TimestampSchema } from './primitives.js';

/** a2a.proto `TaskState`: the lifecycle states of a task. */
export const TaskStateSchema = z.enum([
  'TASK_STATE_UNSPECIFIED',
  'TASK_STATE_SUBMITTED',
  'TASK_STATE_WORKING',
  'TASK_STATE_COMPLETED',
  'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED',
  'TASK_STATE_INPUT_REQUIRED',
  'TASK_STATE_REJECTED',
  'TASK_STATE_AUTH_REQUIRED',
]);
export type TaskState = z.infer<typeof TaskStateSchema>;

/** a2a.proto `TaskStatus`: the current state of a task, with an optional agent message. */
export const TaskStatusSchema = z.object({
  // §5.7: REQUIRED means set, and an enum left at its zero value is not set.
  state: TaskStateSchema.exclude(['TASK_STATE_UNSPECIFIED']),
  message: MessageSchema.optional(),
  timestamp: TimestampSchema.optional(),
});
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

/** a2a.proto `Artifact`: an output of a task. */
export const ArtifactSchema = z.object({
  artifactId: RequiredStringSchema,
  name: TextSchema.optional(),
  description: TextSchema.optional(),
  parts: z.array(PartSchema).min(1),
  metadata: StructSchema.optional(),
  extensions: z.array(TextSchema).optional(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

/** a2a.proto `Task`: the unit of work, its status, outputs and history. */
export const TaskSchema = z.object({
  id: RequiredStringSchema,
  contextId: TextSchema.optional(),
  status: TaskStatusSchema,
  artifacts: z.array(ArtifactSchema).optional(),
  history: z.array(MessageSchema).optional(),
  metadata: StructSchema.optional(),
});
export type Task = z.infer<typeof TaskSchema>;

/** a2a.proto `TaskStatusUpdateEvent`: a task changed status (§4.2.1). */
export const TaskStatusUpdateEventSchema = z.object({
  taskId: RequiredStringSchema,
  contextId: RequiredStringSchema,
  status: TaskStatusSchema,
  metadata: StructSchema.optional(),
});
export type TaskStatusUpdateEvent = z.infer<typeof TaskStatusUpdateEventSchema>;

/** a2a.proto `TaskArtifactUpdateEvent`: an artifact was generated or extended (§4.2.2). */
export const TaskArtifactUpdateEventSchema = z.object({
  taskId: RequiredStringSchema,
  contextId: RequiredStringSchema,
  artifact: ArtifactSchema,
  append: z.boolean().optional(),
  lastChunk: z.boolean().optional(),
  metadata: StructSchema.optional(),
});
export type TaskArtifactUpdateEvent = z.infer<typeof TaskArtifactUpdateEventSchema>;
