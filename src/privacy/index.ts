export {
  type EncryptedValue,
  isEncrypted,
  isRedacted,
  type RedactedValue,
  type RedactionReason,
  redacted,
} from './cipher.js';
export { createEncryptingStore, type EncryptingStoreOptions } from './encrypting-store.js';
export { parseMasterKey } from './master-key.js';
export { redactEventData, redactTask } from './redaction.js';
export { type ShredResult, shredTenant } from './shred.js';
export {
  createSqlTenantKeys,
  type DataKey,
  migrateTenantKeys,
  SHREDDED_KEY,
  type TenantKeys,
} from './tenant-keys.js';
