// A2A v1.0 protocol objects in ProtoJSON form, one zod schema per a2a.proto message
// (spec/a2a-v1.0/a2a.proto, pinned); test/protocol/proto-parity.test.ts holds them to it.
export * from './agent-card.js';
export {
  MAX_BODY_DEPTH,
  MAX_VALUE_DEPTH,
  nestsDeeperThan,
  textProblem,
} from './input-limits.js';
export * from './message.js';
export * from './methods.js';
export { JsonValueSchema, StructSchema } from './primitives.js';
export * from './push-notification.js';
export * from './requests.js';
export * from './responses.js';
export * from './security.js';
export * from './task.js';
// A namespace, so that scripts/generate-a2a-schemas.ts publishes no JSON Schema for 0.3 shapes.
export * as v03 from './v03/index.js';
