export { type ArchiveHeader, readArchive } from './archive.js';
export {
  RETENTION_EVENT_TYPES,
  RETENTION_STREAM,
  registerRetentionEvents,
  type StreamArchived,
  StreamArchivedSchema,
} from './events.js';
export { parseRetentionPolicies, type RetentionPolicy } from './policies.js';
export { type RetentionOutcome, restoreArchive, runRetention } from './run.js';
