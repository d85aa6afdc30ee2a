import { type Envelope, PRIORITIES } from '../transport.js';

/**
 * A stream entry's fields: `e` the envelope as JSON; `a` the attempts made before this entry
 * existed (a released message comes back as a new entry, and its count must go on); `g` the
 * only group the entry is for (a release belongs to the group that released it).
 */
export interface StreamEntry {
  /** The envelope as stored, kept verbatim so a release stores exactly what was sent. */
  json: string;
  envelope: Envelope;
  priorAttempts: number;
  group?: string;
}

/** The stream entry's fields from Redis' flat `[field, value, …]`; undefined when not ours. */
export function decodeEntry(fields: readonly string[]): StreamEntry | undefined {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!, fields[i + 1]!);
  const json = values.get('e');
  if (json === undefined) return undefined;
  let envelope: unknown;
  try {
    envelope = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isEnvelope(envelope)) return undefined;
  const priorAttempts = Number(values.get('a') ?? 0);
  if (!Number.isSafeInteger(priorAttempts) || priorAttempts < 0) return undefined;
  const group = values.get('g');
  return { json, envelope, priorAttempts, ...(group === undefined ? {} : { group }) };
}

/**
 * A delayed-set member: `<attempts so far>|<envelope JSON>`. The count travels with the
 * message, and the same envelope released at another attempt is another member.
 */
export function delayedMember(priorAttempts: number, json: string): string {
  return `${priorAttempts}|${json}`;
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    typeof v.topic === 'string' &&
    typeof v.publishedAt === 'number' &&
    typeof v.headers === 'object' &&
    v.headers !== null &&
    (PRIORITIES as readonly unknown[]).includes(v.priority)
  );
}
