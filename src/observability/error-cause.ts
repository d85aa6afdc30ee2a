/**
 * The innermost cause of a failure (fetch and undici wrap the real one several levels deep,
 * a failed connection to several addresses in an AggregateError), as its code and message.
 */
export function innermostCause(error: unknown): { code?: string; message: string } {
  let cause: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    const next = (cause as { cause?: unknown } | undefined)?.cause;
    if (next === undefined || next === null) break;
    cause = next;
  }
  if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
  const code = (cause as { code?: unknown } | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return typeof code === 'string' ? { code, message } : { message };
}

/** In a few words: `ECONNREFUSED: connect ECONNREFUSED 1.2.3.4:80`. */
export function describeCause(error: unknown): string {
  const { code, message } = innermostCause(error);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}
