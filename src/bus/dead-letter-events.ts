import { z } from 'zod';
import type { EventRegistry } from '../events/index.js';
import { PRIORITIES } from './transport.js';

/**
 * A message that failed, as events: every transition of its dead-letter entry is recorded
 * (`pending_retry → retrying → … → permanent_failure`, an operator's retry or purge), in one
 * stream per entry, so the audit shows what happened to it and the list is a fold.
 */
export const DEAD_LETTER_EVENT_TYPES = {
  failed: 'bus.delivery_failed',
  retryStarted: 'bus.retry_started',
  deadLettered: 'bus.dead_lettered',
  succeeded: 'bus.delivery_succeeded',
  retryRequested: 'bus.retry_requested',
  purged: 'bus.dead_letter_purged',
} as const;

export const DEAD_LETTER_STREAM_PREFIX = 'dead-letter-';

export const EnvelopeSchema = z.object({
  id: z.string().min(1),
  topic: z.string().min(1),
  payload: z.unknown(),
  key: z.string().optional(),
  priority: z.enum(PRIORITIES),
  headers: z.record(z.string(), z.string()),
  publishedAt: z.number(),
  deliverAt: z.number().optional(),
  idempotencyKey: z.string().optional(),
});

const Entry = { entryId: z.string().min(1), group: z.string().min(1) };

export const DeliveryFailedSchema = z.object({
  ...Entry,
  attempt: z.int().positive(),
  error: z.string(),
  retryAt: z.iso.datetime({ offset: true }),
  envelope: EnvelopeSchema,
});
export const RetryStartedSchema = z.object({ ...Entry, attempt: z.int().positive() });
export const DeadLetteredSchema = z.object({
  ...Entry,
  attempt: z.int().positive(),
  error: z.string(),
  envelope: EnvelopeSchema,
});
export const DeliverySucceededSchema = z.object({ ...Entry, attempt: z.int().positive() });
export const OperatorActionSchema = z.object({ ...Entry, by: z.string().min(1) });

export function registerDeadLetterEvents(registry: EventRegistry): EventRegistry {
  const t = DEAD_LETTER_EVENT_TYPES;
  return registry
    .register({ type: t.failed, version: 1, schema: DeliveryFailedSchema })
    .register({ type: t.retryStarted, version: 1, schema: RetryStartedSchema })
    .register({ type: t.deadLettered, version: 1, schema: DeadLetteredSchema })
    .register({ type: t.succeeded, version: 1, schema: DeliverySucceededSchema })
    .register({ type: t.retryRequested, version: 1, schema: OperatorActionSchema })
    .register({ type: t.purged, version: 1, schema: OperatorActionSchema });
}
