export {
  type EventMetadata,
  EventMetadataSchema,
  EventTypeNameSchema,
  type NewEvent,
  NewEventSchema,
  type StoredEvent,
  StoredEventSchema,
} from './envelope.js';
export { joinPath, ValidationError } from './errors.js';
export { eventJsonSchemas } from './json-schemas.js';
export {
  createEventRegistry,
  type EventRegistry,
  type EventTypeVersion,
  type Upcaster,
} from './registry.js';
export { mapSensitive, parseSensitivePath, type SensitivePath } from './sensitive.js';
