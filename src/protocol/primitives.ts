import { z } from 'zod';
import { findValueProblem, textProblem } from './input-limits.js';

/**
 * A string the gateway can store and give back as sent: no U+0000, no lone UTF-16 surrogate
 * (input-limits.ts). Every id, tenant and text of the protocol objects is one.
 */
export const TextSchema = z.string().check((ctx) => {
  const message = textProblem(ctx.value);
  if (message) ctx.issues.push({ code: 'custom', input: ctx.value, message });
});

/**
 * Refuses a free-form value before zod's recursive JSON schema walks it: too deep, text it
 * cannot keep, a `__proto__` key (input-limits.ts). The value is passed on unchanged; being a
 * preprocess, the JSON Schema generated is the target's.
 */
function checkedFreeForm<T extends z.ZodType>(schema: T) {
  return z.preprocess((value, ctx) => {
    const problem = findValueProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
    return value;
  }, schema);
}

// zod's own JSON schema, once: both wrappers below refer to it, so generated schemas share it.
const JsonSchema = z.json();

/** google.protobuf.Value: any JSON value, including null (ProtoJSON). */
export const JsonValueSchema = checkedFreeForm(JsonSchema);

/** google.protobuf.Struct: a JSON object whose keys the spec lets grow (§3.2.5 Metadata). */
export const StructSchema = checkedFreeForm(z.record(z.string(), JsonSchema));

// §5.6.1: ISO 8601 in UTC with a 'Z' suffix only; any fractional precision (ProtoJSON allows ns).
export const TimestampSchema = z.iso.datetime();

// ProtoJSON bytes: emitters use padded standard base64, parsers also accept URL-safe and unpadded.
export const BytesSchema = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'Expected a base64 string');

// §5.7: a REQUIRED field must be present and set; for a proto3 string "set" means non-empty.
export const RequiredStringSchema = TextSchema.min(1);

/** Counts and limits carried as int32; none of them is meaningful below zero. */
export const CountSchema = z.int32().min(0);

/**
 * Makes `members` a proto `oneof`: exactly one must be present. The members stay optional
 * object keys so issues keep their field paths; the group is published as a JSON Schema
 * `oneOf` in the schema's metadata, where `z.toJSONSchema` and the parity test read it.
 *
 * @example exactlyOneOf(z.object({ a: z.string().optional(), b: z.string().optional() }), ['a', 'b'])
 */
export function exactlyOneOf<T extends z.ZodObject>(
  schema: T,
  members: readonly (keyof T['shape'] & string)[],
): T {
  const label = members.join(', ');
  return schema
    .check((ctx) => {
      const value = ctx.value as Record<string, unknown>;
      const present = members.filter((key) => value[key] !== undefined);
      if (present.length === 1) return;
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message:
          present.length === 0
            ? `Expected exactly one of ${label}; got none`
            : `Expected exactly one of ${label}; got ${present.join(', ')}`,
      });
    })
    .meta({ oneOf: members.map((key) => ({ required: [key] })) });
}
