import type { z } from 'zod';

/**
 * ProtoJSON parsers accept a field's proto name (`context_id`) as well as its JSON name
 * (`contextId`); clients such as the TCK send both. This renames proto names to JSON names
 * wherever the schema has that field, and nowhere else: free-form objects (metadata, data
 * parts) keep their keys. Only the schema's own fields count: `toString` or `__proto__` in the
 * input names no field, and stays an unknown key for the schema to strip (§5.7).
 */
export function normalizeProtoJsonKeys(value: unknown, schema: z.ZodType): unknown {
  // Most clients send JSON names only: then there is nothing to rename, and no copy to make.
  return hasProtoName(value, 0) ? renamed(value, schema) : value;
}

function renamed(value: unknown, schema: z.ZodType): unknown {
  const target = unwrap(schema);
  if (Array.isArray(value)) {
    return target?.def.type === 'array'
      ? value.map((item) => renamed(item, (target as z.ZodArray).element as z.ZodType))
      : value;
  }
  if (!isPlainObject(value) || target?.def.type !== 'object') return value;
  const shape = (target as z.ZodObject).shape as Record<string, z.ZodType>;
  const isField = (name: string) => Object.hasOwn(shape, name);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const name = key.includes('_') ? toJsonName(key) : key;
    const field = isField(name) ? name : key;
    if (field !== key && Object.hasOwn(value, field)) continue; // the JSON name wins
    // Defined, not assigned: assigning `__proto__` would replace the object's prototype.
    Object.defineProperty(out, field, {
      value: isField(field) ? renamed(item, shape[field]!) : item,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Whether any key, at any depth, holds an underscore (depth bounded as the body is). */
function hasProtoName(value: unknown, depth: number): boolean {
  if (depth > 100 || typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some((item) => hasProtoName(item, depth + 1));
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key.includes('_')) return true;
    if (hasProtoName((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/** The schema under `.optional()`, `.default()` and other wrappers. */
export function unwrap(schema: z.ZodType): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (let i = 0; i < 10 && current; i++) {
    const { type } = current.def;
    if (type === 'optional' || type === 'nullable' || type === 'default' || type === 'readonly') {
      current = (current.def as unknown as { innerType: z.ZodType }).innerType;
    } else if (type === 'pipe') {
      current = (current.def as unknown as { in: z.ZodType }).in;
    } else {
      return current;
    }
  }
  return current;
}

/** protoc's JSON name: drop each `_` and upper-case the letter after it. */
function toJsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
