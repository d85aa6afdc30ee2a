import { z } from 'zod';
import type { EventRegistry } from '../events/index.js';

/** The stream of the retention record: one event per archived stream. */
export const RETENTION_STREAM = 'retention';

export const RETENTION_EVENT_TYPES = { streamArchived: 'retention.stream_archived' } as const;

/**
 * A stream was archived and deleted from the store. These exact fields are read by the
 * hash-chain verifier to tell events archived on purpose from events gone by tampering:
 * which stream, whose, how many events between which positions, where the archive is and the
 * SHA-256 (hex) of the archive file's bytes.
 */
export const StreamArchivedSchema = z.object({
  streamId: z.string().min(1),
  tenant: z.string().optional(),
  events: z.int().nonnegative(),
  fromPosition: z.int().nonnegative(),
  toPosition: z.int().nonnegative(),
  archive: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type StreamArchived = z.infer<typeof StreamArchivedSchema>;

export function registerRetentionEvents(registry: EventRegistry): EventRegistry {
  return registry.register({
    type: RETENTION_EVENT_TYPES.streamArchived,
    version: 1,
    schema: StreamArchivedSchema,
  });
}
