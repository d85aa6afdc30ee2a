import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { A2A_JSON_SCHEMA_DIR, generateA2aJsonSchemas } from '../scripts/generate-a2a-schemas.js';
import {
  AGENT_FILE_SCHEMA_DIR,
  generateAgentFileJsonSchemas,
} from '../scripts/generate-agent-file-schema.js';
import {
  EVENT_JSON_SCHEMA_DIR,
  generateEventJsonSchemas,
} from '../scripts/generate-event-schemas.js';
import { formatJsonSchema } from '../scripts/schema-files.js';

const HINT = 'the checked-in JSON Schemas are out of date: run npm run schemas';

describe.each([
  { folder: 'schemas/events', dir: EVENT_JSON_SCHEMA_DIR, generate: generateEventJsonSchemas },
  { folder: 'schemas/a2a', dir: A2A_JSON_SCHEMA_DIR, generate: generateA2aJsonSchemas },
  {
    folder: 'schemas/agent-file',
    dir: AGENT_FILE_SCHEMA_DIR,
    generate: generateAgentFileJsonSchemas,
  },
])('generated JSON Schemas in $folder', ({ dir, generate }) => {
  const generated = generate();
  const onDisk = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];

  it('has one file per zod schema, none missing and none extra', () => {
    const missing = Object.keys(generated).filter((name) => !onDisk.includes(name));
    const extra = onDisk.filter((name) => !(name in generated));
    expect({ missing, extra }, HINT).toEqual({ missing: [], extra: [] });
  });

  it('holds in every file exactly what the generator produces', () => {
    const stale = Object.entries(generated)
      .filter(([name]) => onDisk.includes(name))
      .filter(
        ([name, schema]) => readFileSync(join(dir, name), 'utf8') !== formatJsonSchema(schema),
      )
      .map(([name]) => name);
    expect(stale, HINT).toEqual([]);
  });
});
