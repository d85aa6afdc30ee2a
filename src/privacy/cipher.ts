import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * A value encrypted at rest, self-describing: which format, which key (`kid`), and what
 * AES-256-GCM needs to open it. The plaintext is the value's JSON.
 */
export interface EncryptedValue {
  $enc: 'v1';
  kid: string;
  iv: string;
  ct: string;
  tag: string;
}

/** What a read shows in place of personal data it may not or cannot show. */
export interface RedactedValue {
  $redacted: RedactionReason;
}

/**
 * `shredded`: the tenant's key was deleted, the data is gone for good. `scope`: the caller
 * lacks the PII scope. `unreadable`: the ciphertext does not open under its key (altered).
 */
export type RedactionReason = 'shredded' | 'scope' | 'unreadable';

export const redacted = (reason: RedactionReason): RedactedValue => ({ $redacted: reason });

export function isEncrypted(value: unknown): value is EncryptedValue {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<EncryptedValue>;
  return (
    candidate.$enc === 'v1' &&
    typeof candidate.kid === 'string' &&
    typeof candidate.iv === 'string' &&
    typeof candidate.ct === 'string' &&
    typeof candidate.tag === 'string'
  );
}

export function isRedacted(value: unknown): value is RedactedValue {
  return typeof value === 'object' && value !== null && '$redacted' in value;
}

const ALGORITHM = 'aes-256-gcm';

/**
 * Encrypts `value` under a 32-byte key. `aad` binds the ciphertext to where it belongs (an
 * event id and path): moved elsewhere, it no longer opens.
 */
export function encryptJson(key: Buffer, kid: string, value: unknown, aad: string): EncryptedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return {
    $enc: 'v1',
    kid,
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** The value back; throws when the key, the data or `aad` is not what it was encrypted with. */
export function decryptJson(key: Buffer, value: EncryptedValue, aad: string): unknown {
  const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(value.iv, 'base64'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(value.tag, 'base64'));
  const plain = Buffer.concat([decipher.update(Buffer.from(value.ct, 'base64')), decipher.final()]);
  return JSON.parse(plain.toString('utf8'));
}
