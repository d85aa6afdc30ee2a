import { type Envelope, PRIORITIES } from '../transport.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The whole envelope is the message body: JSON, so a delivery equals what was sent. */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return encoder.encode(JSON.stringify(envelope));
}

/** The envelope a message carries, or undefined when it is not one (a foreign publisher). */
export function decodeEnvelope(data: Uint8Array): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const candidate = value as Partial<Envelope>;
  const wellFormed =
    typeof candidate.id === 'string' &&
    typeof candidate.topic === 'string' &&
    typeof candidate.publishedAt === 'number' &&
    typeof candidate.headers === 'object' &&
    candidate.headers !== null &&
    PRIORITIES.includes(candidate.priority as Envelope['priority']);
  return wellFormed ? (value as Envelope) : undefined;
}
