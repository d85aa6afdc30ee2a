import { z } from 'zod';
import {
  BytesSchema,
  exactlyOneOf,
  JsonValueSchema,
  RequiredStringSchema,
  StructSchema,
  TextSchema,
} from './primitives.js';

/** a2a.proto `Role`: who sent a message. */
export const RoleSchema = z.enum(['ROLE_UNSPECIFIED', 'ROLE_USER', 'ROLE_AGENT']);
export type Role = z.infer<typeof RoleSchema>;

/** a2a.proto `Part`: one piece of content; the member name is the kind (§A.2.1, no `kind`). */
export const PartSchema = exactlyOneOf(
  z.object({
    text: TextSchema.optional(),
    raw: BytesSchema.optional(),
    url: TextSchema.optional(),
    data: JsonValueSchema.optional(),
    metadata: StructSchema.optional(),
    filename: TextSchema.optional(),
    mediaType: TextSchema.optional(),
  }),
  ['text', 'raw', 'url', 'data'],
);
export type Part = z.infer<typeof PartSchema>;

/** a2a.proto `Message`: one unit of communication between client and agent. */
export const MessageSchema = z.object({
  messageId: RequiredStringSchema,
  contextId: TextSchema.optional(),
  taskId: TextSchema.optional(),
  // §5.7: REQUIRED means set, and an enum left at its zero value is not set.
  role: RoleSchema.exclude(['ROLE_UNSPECIFIED']),
  // §5.7: a REQUIRED array holds at least one element.
  parts: z.array(PartSchema).min(1),
  metadata: StructSchema.optional(),
  extensions: z.array(TextSchema).optional(),
  referenceTaskIds: z.array(TextSchema).optional(),
});
export type Message = z.infer<typeof MessageSchema>;
