import { fileURLToPath } from 'node:url';
import { eventJsonSchemas } from '../src/events/index.js';
import { createGatewayRegistry } from '../src/gateway-registry.js';

export const EVENT_JSON_SCHEMA_DIR = fileURLToPath(new URL('../schemas/events/', import.meta.url));

/** The envelope and every event type and version the gateway registers. */
export function generateEventJsonSchemas(): Record<string, unknown> {
  return eventJsonSchemas(createGatewayRegistry());
}
