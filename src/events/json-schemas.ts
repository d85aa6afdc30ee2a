import { z } from 'zod';
import { StoredEventSchema } from './envelope.js';
import type { EventRegistry } from './registry.js';

/**
 * The JSON Schemas checked in under `schemas/events/`: the envelope, and one file per event
 * type and version (`task.created.v1.json`). Generated from zod so the two never drift.
 */
export function eventJsonSchemas(registry: EventRegistry): Record<string, unknown> {
  const files: Record<string, unknown> = {
    'envelope.json': z.toJSONSchema(StoredEventSchema, { io: 'output', unrepresentable: 'any' }),
  };
  for (const [type, versions] of registry.definitions()) {
    for (const definition of versions) {
      files[`${type}.v${definition.version}.json`] = z.toJSONSchema(definition.schema, {
        io: 'input',
        unrepresentable: 'any',
      });
    }
  }
  return files;
}
