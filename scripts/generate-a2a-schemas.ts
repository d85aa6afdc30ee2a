import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import * as a2a from '../src/protocol/index.js';

/** Where the generated JSON Schemas live, one `<Name>.json` per exported `<Name>Schema`. */
export const A2A_JSON_SCHEMA_DIR = fileURLToPath(new URL('../schemas/a2a/', import.meta.url));

/**
 * JSON Schema for every top-level schema exported by `src/protocol/`, keyed by file name.
 * `io: 'input'` describes what a receiver accepts: unknown fields are allowed, since our
 * objects strip them (§5.7) rather than reject them.
 */
export function generateA2aJsonSchemas(): Record<string, object> {
  const files: Record<string, object> = {};
  for (const [exportName, value] of Object.entries(a2a).sort(([a], [b]) => a.localeCompare(b))) {
    if (!exportName.endsWith('Schema') || !(value instanceof z.ZodType)) continue;
    files[`${exportName.slice(0, -'Schema'.length)}.json`] = z.toJSONSchema(value, { io: 'input' });
  }
  return files;
}
