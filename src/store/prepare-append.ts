import { randomUUID } from 'node:crypto';
import {
  type EventMetadata,
  type EventRegistry,
  joinPath,
  type NewEvent,
  NewEventSchema,
  ValidationError,
} from '../events/index.js';
import type { ExpectedVersion } from './event-store.js';

/**
 * Global positions are `transactionId * 2^16 + ordinal` (see sql/schema.ts), so one append
 * holds at most 2^16 - 1 events.
 */
export const MAX_EVENTS_PER_APPEND = 65_535;

/** An event ready to be written: every default filled in, payload validated. */
export interface PreparedEvent {
  id: string;
  type: string;
  schemaVersion: number;
  timestamp: string;
  correlationId: string;
  causationId: string | null;
  metadata: EventMetadata;
  data: unknown;
}

export interface PrepareContext {
  registry?: EventRegistry;
  now: () => Date;
}

/**
 * Validates a batch before any I/O, so an invalid event is a ValidationError naming its field
 * (`events[2].data.state`) and nothing reaches the store.
 */
export function prepareAppend(
  streamId: string,
  events: readonly NewEvent[],
  expectedVersion: ExpectedVersion,
  context: PrepareContext,
): PreparedEvent[] {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > 200) {
    throw new ValidationError('streamId', 'must be a string of 1 to 200 characters');
  }
  assertExpectedVersion(expectedVersion);
  if (!Array.isArray(events) || events.length === 0) {
    throw new ValidationError('events', 'an append needs at least one event');
  }
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new ValidationError('events', `at most ${MAX_EVENTS_PER_APPEND} events per append`);
  }
  const now = context.now().toISOString();
  const seen = new Set<string>();
  return events.map((event, index) => {
    const prefix = `events[${index}]`;
    const parsed = NewEventSchema.safeParse(event);
    if (!parsed.success) throw ValidationError.fromZod(parsed.error, prefix);
    const input = parsed.data;
    const id = input.id ?? randomUUID();
    if (seen.has(id))
      throw new ValidationError(`${prefix}.id`, `id ${id} appears twice in one append`);
    seen.add(id);
    const schemaVersion = input.schemaVersion ?? context.registry?.latestVersion(input.type) ?? 1;
    let data = event.data;
    if (context.registry) {
      try {
        data = context.registry.validate(input.type, schemaVersion, event.data);
      } catch (error) {
        throw error instanceof ValidationError ? prefixed(error, prefix) : error;
      }
    }
    return {
      id,
      type: input.type,
      schemaVersion,
      timestamp: input.timestamp ? new Date(input.timestamp).toISOString() : now,
      correlationId: input.correlationId ?? id,
      causationId: input.causationId ?? null,
      metadata: input.metadata ?? {},
      data: data ?? null,
    };
  });
}

/**
 * PostgreSQL's jsonb cannot hold U+0000: find the field before the database refuses the whole
 * batch with an opaque error.
 */
export function assertNoNul(events: readonly PreparedEvent[]): void {
  events.forEach((event, index) => {
    for (const where of ['data', 'metadata'] as const) {
      const path = findNul(event[where], []);
      if (path) {
        throw new ValidationError(
          joinPath(`events[${index}].${where}`, path),
          'text must not contain the NUL character (U+0000)',
        );
      }
    }
  });
}

function findNul(value: unknown, path: PropertyKey[]): PropertyKey[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findNul(item, [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return [...path, key];
      const found = findNul(item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

function assertExpectedVersion(expected: ExpectedVersion): void {
  if (typeof expected === 'number') {
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new ValidationError('expectedVersion', 'must be a whole number >= 0');
    }
    return;
  }
  if (!['any', 'no_stream', 'stream_exists'].includes(expected)) {
    throw new ValidationError(
      'expectedVersion',
      'must be a number, any, no_stream or stream_exists',
    );
  }
}

function prefixed(error: ValidationError, prefix: string): ValidationError {
  const issues = error.issues.map((issue) => ({ ...issue, path: `${prefix}.${issue.path}` }));
  return new ValidationError(
    `${prefix}.${error.field}`,
    issues[0]?.message ?? error.message,
    issues,
  );
}
