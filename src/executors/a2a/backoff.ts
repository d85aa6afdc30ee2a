import { UpstreamError } from './upstream-errors.js';

export interface RetryPolicy {
  /** Tries after the first. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * Exponential backoff with full jitter (a random delay up to the exponential bound), so the
 * callers of an upstream that just came back do not all try again at the same moment.
 * `retry` counts from 0.
 */
export function backoffDelay(
  retry: number,
  policy: Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const bound = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * bound);
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs a safe (idempotent) operation, trying again after what `UpstreamError.retryable` says
 * may pass (no answer), up to `policy.attempts` more times. Never for a send: the upstream
 * may have acted on a request whose answer was lost.
 */
export async function retrySafe<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (error: UpstreamError, delayMs: number) => void,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await operation();
    } catch (error) {
      const again = error instanceof UpstreamError && error.retryable && retry < policy.attempts;
      if (!again || signal?.aborted) throw error;
      const delay = backoffDelay(retry, policy);
      onRetry?.(error, delay);
      await sleep(delay, signal);
    }
  }
}
