// A2A v1.0 protocol objects in ProtoJSON form, one zod schema per a2a.proto message
// (../shared/spec/a2a-v1.0/a2a.proto); test/a2a/proto-parity.test.ts holds them to it.
export * from './schemas/agent-card.js';
export * from './schemas/message.js';
export * from './schemas/methods.js';
export { JsonValueSchema, StructSchema } from './schemas/primitives.js';
export * from './schemas/push-notification.js';
export * from './schemas/requests.js';
export * from './schemas/responses.js';
export * from './schemas/security.js';
export * from './schemas/task.js';
