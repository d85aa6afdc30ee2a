import { registerAgentEvents } from './agent-card-history.js';
import { registerSecurityEvents } from './auth/index.js';
import { registerDeadLetterEvents } from './bus/index.js';
import { createEventRegistry, type EventRegistry } from './events/index.js';
import { registerRetentionEvents } from './retention/index.js';
import { registerTaskEvents } from './tasks/index.js';

/**
 * Every event type the gateway stores, with each schema version and upcaster. The store
 * validates appends against it; `npm run schemas` publishes it under `schemas/events/`.
 */
export function createGatewayRegistry(): EventRegistry {
  return registerRetentionEvents(
    registerDeadLetterEvents(
      registerAgentEvents(registerSecurityEvents(registerTaskEvents(createEventRegistry()))),
    ),
  );
}
