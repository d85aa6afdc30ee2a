import canonicalize from 'canonicalize';
import type { z } from 'zod';
import { AgentCardSchema, StructSchema } from '../protocol/index.js';
import { unwrap } from './proto-json.js';

// a2a.proto's `optional` fields of the card: set, they stay even at their default (§8.4.1).
// The schemas cannot tell them apart: zod's `.optional()` marks every field not REQUIRED.
const EXPLICIT_PRESENCE = new Set([
  'documentationUrl',
  'iconUrl',
  'streaming',
  'pushNotifications',
  'extendedAgentCard',
]);

/**
 * The bytes an Agent Card signature covers (§8.4.1): the card without `signatures`, in RFC
 * 8785 canonical JSON, after ProtoJSON's field presence: a REQUIRED field stays whatever it
 * holds, an `optional` one stays when set, and any other field at its default (`""`, `false`,
 * an empty list or map) goes. Fields the schema does not know, and Struct content, stay as
 * sent: the signature covers them too.
 */
export function canonicalCardPayload(card: object): string {
  const { signatures: _, ...content } = card as Record<string, unknown>;
  return canonicalize(withoutDefaults(content, AgentCardSchema)) ?? '{}';
}

function withoutDefaults(value: unknown, schema: z.ZodType | undefined): unknown {
  if (schema === undefined || schema === StructSchema) return value;
  const type = unwrap(schema);
  if (Array.isArray(value)) {
    const element = type?.def.type === 'array' ? (type as z.ZodArray).element : undefined;
    return value.map((item) => withoutDefaults(item, element as z.ZodType | undefined));
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  if (type?.def.type === 'record') {
    // A map keeps every entry it has; only its values are messages to look into.
    const valueType = (type as z.ZodRecord).valueType as z.ZodType;
    for (const [key, item] of Object.entries(value))
      if (item !== undefined) out[key] = withoutDefaults(item, valueType);
    return out;
  }
  if (type?.def.type !== 'object') return value;
  const shape = (type as z.ZodObject).shape as Record<string, z.ZodType>;
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
    const kept = withoutDefaults(item, field);
    const required = field !== undefined && field.def.type !== 'optional';
    if (required || field === undefined || (EXPLICIT_PRESENCE.has(key) && item !== null)) {
      out[key] = kept;
    } else if (!isDefault(kept, unwrap(field))) {
      out[key] = kept;
    }
  }
  return out;
}

/** A field's proto3 default: omitted on the wire. A message that is set is not a default. */
function isDefault(value: unknown, type: z.ZodType | undefined): boolean {
  if (value === null || value === '' || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  return type?.def.type === 'record' && isPlainObject(value) && Object.keys(value).length === 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
