import type { z } from 'zod';

/**
 * An event (or its envelope) does not match its registered schema. Nothing was written.
 * `field` is the dotted path of the first offending field, e.g. `data.status.state`.
 */
export class ValidationError extends Error {
  readonly code = 'VALIDATION_FAILED';
  constructor(
    readonly field: string,
    message: string,
    readonly issues: readonly { path: string; message: string }[] = [{ path: field, message }],
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'ValidationError';
  }

  /** Builds the error from zod issues, prefixing each path with `prefix` (e.g. `data`). */
  static fromZod(error: z.ZodError, prefix = ''): ValidationError {
    const issues = error.issues.map((issue) => ({
      path: joinPath(prefix, issue.path),
      message: issue.message,
    }));
    const first = issues[0] ?? { path: prefix, message: 'invalid value' };
    return new ValidationError(first.path, first.message, issues);
  }
}

export function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  const parts = path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`));
  const joined = (prefix + parts.join('')).replace(/^\./, '');
  return joined.replace(/\.\[/g, '[');
}
