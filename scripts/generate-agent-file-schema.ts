import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { HostedAgentFileSchema } from '../src/a2a/index.js';

/** Where the agent file's JSON Schema lives, for editors (`"$schema"` in an agent file). */
export const AGENT_FILE_SCHEMA_DIR = fileURLToPath(
  new URL('../schemas/agent-file/', import.meta.url),
);

/**
 * The JSON Schema of an agent file (`agent-cards/*.json`), every executor kind. `io: 'input'`:
 * what a file may say, so fields with defaults are optional. Rules across fields (a builtin
 * agent's card is complete) are checked at start-up, not here.
 */
export function generateAgentFileJsonSchemas(): Record<string, object> {
  const schema = z.toJSONSchema(HostedAgentFileSchema, { io: 'input', unrepresentable: 'any' });
  return {
    'agent-file.schema.json': {
      ...schema,
      $id: 'https://a2a-event-gateway.dev/schemas/agent-file.schema.json',
      title: 'A2A event gateway agent file',
      description:
        'One hosted agent: its card and how it runs (builtin, an MCP server, or an upstream A2A agent).',
    },
  };
}
