import type { Message, Options } from 'amqplib';
import { type Envelope, PRIORITIES } from '../transport.js';

/** Deliveries made before this copy was published (a release publishes a fresh copy). */
const ATTEMPTS_HEADER = 'bus-attempts';
/** Epoch ms a delayed copy is due: checked on arrival (a chain pass is capped, clocks drift). */
const DUE_HEADER = 'bus-due-at';

/** The envelope as JSON, whole: the body is what a receiver hands over. */
export function encodeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelope));
}

/** Properties of every message: persistent, so quorum queues keep it on disk. */
export function publishOptions(
  envelope: Envelope,
  attempts: number,
  extra: { dueAt?: number; headers?: Record<string, string> } = {},
): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    messageId: envelope.id,
    timestamp: Math.floor(envelope.publishedAt / 1_000),
    headers: {
      ...extra.headers,
      [ATTEMPTS_HEADER]: attempts,
      ...(extra.dueAt === undefined ? {} : { [DUE_HEADER]: extra.dueAt }),
    },
  };
}

/** The envelope of a message, or undefined when the body is not one of ours. */
export function decodeEnvelope(message: Message): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message.content.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const envelope = value as Partial<Envelope>;
  const wellFormed =
    typeof envelope.id === 'string' &&
    typeof envelope.topic === 'string' &&
    typeof envelope.publishedAt === 'number' &&
    typeof envelope.headers === 'object' &&
    envelope.headers !== null &&
    PRIORITIES.includes(envelope.priority as Envelope['priority']);
  return wellFormed ? (envelope as Envelope) : undefined;
}

/**
 * Deliveries so far, this one excluded: those before the copy was published, plus the
 * quorum queue's count of this copy's returns (a nack on an expired visibility timeout, a
 * channel closed with it in hand).
 */
export function deliveriesBefore(message: Message): number {
  const headers = message.properties.headers ?? {};
  return count(headers[ATTEMPTS_HEADER]) + count(headers['x-delivery-count']);
}

export function dueAtOf(message: Message): number | undefined {
  const due = message.properties.headers?.[DUE_HEADER];
  return typeof due === 'number' ? due : undefined;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}
