import { A2A_JSON_SCHEMA_DIR, generateA2aJsonSchemas } from './generate-a2a-schemas.js';
import {
  AGENT_FILE_SCHEMA_DIR,
  generateAgentFileJsonSchemas,
} from './generate-agent-file-schema.js';
import { EVENT_JSON_SCHEMA_DIR, generateEventJsonSchemas } from './generate-event-schemas.js';
import { writeSchemaDir } from './schema-files.js';

// `npm run schemas`: regenerates everything under schemas/ from the zod schemas.
for (const [dir, files] of [
  [EVENT_JSON_SCHEMA_DIR, generateEventJsonSchemas()],
  [A2A_JSON_SCHEMA_DIR, generateA2aJsonSchemas()],
  [AGENT_FILE_SCHEMA_DIR, generateAgentFileJsonSchemas()],
] as const) {
  await writeSchemaDir(dir, files);
  console.log(`wrote ${Object.keys(files).length} JSON Schemas to ${dir}`);
}
