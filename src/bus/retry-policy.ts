import type { RetryPolicy } from './bus.js';

/** Exponential from 1 s to 5 min with full jitter, 8 attempts: about 10 minutes of trying. */
export const DEFAULT_RETRY: RetryPolicy = {
  kind: 'exponential',
  baseMs: 1_000,
  maxMs: 300_000,
  maxAttempts: 8,
  jitter: true,
};

/** Whether a message that failed on `attempt` gets another. */
export function retriesLeft(policy: RetryPolicy, attempt: number): boolean {
  return attempt < policy.maxAttempts;
}

/**
 * How long to wait before the attempt after `attempt` (1-based). Full jitter spreads the
 * retries of many messages failing together, so a recovering receiver is not hit in step.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  if (policy.kind === 'fixed') return policy.delayMs;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return policy.jitter === false ? ceiling : Math.round(random() * ceiling);
}
