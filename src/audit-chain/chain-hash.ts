import { createHash } from 'node:crypto';
import type { StoredEvent } from '../events/index.js';
import { canonicalJson } from './canonical-json.js';

/** The link before a tenant's first event: 32 zero bytes. */
export const GENESIS = '0'.repeat(64);

/**
 * hash_n = sha256(hash_{n-1} ‖ JCS(event_n)), hex. The event is the envelope exactly as the
 * store hands it out (positions, versions, metadata and the stored payload): whatever a reader
 * would be shown is what is sealed, so any change to a stored row changes the hash.
 */
export function chainHash(previous: string, event: StoredEvent): string {
  return createHash('sha256')
    .update(previous, 'hex')
    .update(canonicalJson(event), 'utf8')
    .digest('hex');
}

/** The tenant whose chain an event belongs to ('' is the default tenant). */
export function chainTenant(event: StoredEvent): string {
  return event.metadata.tenant ?? '';
}
