import type { z } from 'zod';
import { A2aError } from './errors.js';
import { normalizeProtoJsonKeys } from './proto-json.js';

/**
 * Params as `schema` types them, or an INVALID_PARAMS error naming the first offending field
 * (`message.parts[0]`), which the binding puts in a `google.rpc.BadRequest` (§9.5).
 */
export function parseParams<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new A2aError('INVALID_PARAMS', 'params must be an object', { field: 'params' });
  }
  const parsed = schema.safeParse(normalizeProtoJsonKeys(raw, schema));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = fieldName(issue.path);
  throw new A2aError('INVALID_PARAMS', `invalid params: ${field}: ${issue.message}`, { field });
}

/** `['message', 'parts', 0]` → `message.parts[0]`; the empty path is the params object. */
export function fieldName(path: readonly PropertyKey[]): string {
  const name = path
    .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
    .join('')
    .replace(/^\./, '');
  return name || 'params';
}
