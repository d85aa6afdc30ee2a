import { DuplicateEventError, StoreError, StoreUnavailableError } from '../errors.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);
// 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03']);
const LOST_CONNECTION =
  /connection terminated|connection error|timeout exceeded when trying to connect|not queryable|pglite is closed/i;

interface DatabaseErrorLike {
  code?: string;
  constraint?: string;
  message?: string;
}

/**
 * Turns a driver error into one of ours: unreachable or dropped connections become
 * StoreUnavailableError (retryable), anything else StoreError naming what failed.
 */
export function toStoreError(
  error: unknown,
  what: string,
  streamId?: string,
  ids?: string[],
): Error {
  const e = (error ?? {}) as DatabaseErrorLike;
  const message = e.message ?? String(error);
  if (
    (e.code &&
      (NETWORK_CODES.has(e.code) || e.code.startsWith('08') || UNAVAILABLE_STATES.has(e.code))) ||
    LOST_CONNECTION.test(message)
  ) {
    return new StoreUnavailableError(`event store unreachable during ${what}: ${message}`, {
      cause: error,
    });
  }
  if (e.code === '23505' && e.constraint === 'es_events_event_id_key' && streamId) {
    return new DuplicateEventError(streamId, ids ?? []);
  }
  return new StoreError(`${what} failed: ${message}`, { cause: error });
}
