import { createHash, randomUUID } from 'node:crypto';

// A fixed namespace for the gateway's name-based ids (RFC 9562 §5.5, UUID version 5).
const NAMESPACE = Buffer.from('6f1d8a3c5b2e4d7a9c0e1f2a3b4c5d6e', 'hex');

/** The same name always gives the same UUID: retries map onto what the first try wrote. */
export function nameBasedUuid(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The task a SendMessage creates. With an `Idempotency-Key` it is derived from tenant,
 * principal and key, so a retried request finds the task its first try created; without one
 * it is random, because clients reuse message ids across separate tasks.
 */
export function newTaskId(idempotency?: {
  tenant: string;
  principal: string;
  key: string;
}): string {
  if (!idempotency) return randomUUID();
  return nameBasedUuid(`task\n${idempotency.tenant}\n${idempotency.principal}\n${idempotency.key}`);
}

/** Event ids that make a retried write land on the original (the store is idempotent on ids). */
export const eventIds = {
  submitted: (taskId: string) => nameBasedUuid(`submitted\n${taskId}`),
  /** Same id and same parts: a retry. A reused id with other content is another message. */
  messageReceived: (taskId: string, messageId: string, parts: unknown) =>
    nameBasedUuid(`message\n${taskId}\n${messageId}\n${JSON.stringify(parts)}`),
};
