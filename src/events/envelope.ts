import { z } from 'zod';

/**
 * Who and where an event came from. Tenancy and the principal travel with every event so
 * that reads, audits and (later) authorisation never have to guess.
 */
export const EventMetadataSchema = z.looseObject({
  tenant: z.string().min(1).optional(),
  principal: z.string().min(1).optional(),
  traceparent: z.string().optional(),
  source: z.string().optional(),
});
export type EventMetadata = z.infer<typeof EventMetadataSchema>;

/** Dot-notation, lower case: `task.status_changed`. */
export const EventTypeNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'expected dot-notation such as task.created');

/** What a caller hands to `append`: the store fills in positions, versions and defaults. */
export const NewEventSchema = z.object({
  id: z.uuid().optional(),
  type: EventTypeNameSchema,
  schemaVersion: z.int().positive().optional(),
  data: z.unknown(),
  metadata: EventMetadataSchema.optional(),
  correlationId: z.string().min(1).max(200).optional(),
  causationId: z.string().min(1).max(200).optional(),
  timestamp: z.union([z.iso.datetime({ offset: true }), z.date()]).optional(),
});
export type NewEvent<T = unknown> = Omit<z.infer<typeof NewEventSchema>, 'data'> & { data: T };

/** The envelope of ARCHITECTURE.md, as every read returns it. */
export const StoredEventSchema = z.object({
  id: z.uuid(),
  type: EventTypeNameSchema,
  schemaVersion: z.int().positive(),
  streamId: z.string().min(1),
  streamVersion: z.int().positive(),
  globalPosition: z.int().positive(),
  timestamp: z.iso.datetime({ offset: true }),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  metadata: EventMetadataSchema,
  data: z.unknown(),
});
export type StoredEvent<T = unknown> = Omit<z.infer<typeof StoredEventSchema>, 'data'> & {
  data: T;
};
