import type { Logger } from './observability/index.js';
import { StoreUnavailableError } from './store/index.js';

export interface DatabaseRetryOptions {
  /** Names the database in messages, e.g. `PostgreSQL at db:5432/app`. */
  what: string;
  /** Total time to keep trying (DATABASE_CONNECT_TIMEOUT_MS); 0 tries once. */
  budgetMs: number;
  logger: Logger;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Runs `open` (connect, migrate) until it succeeds. In a compose deployment the gateway often
 * starts before PostgreSQL accepts connections, so while the database is unreachable (refused,
 * reset, timed out, "starting up": StoreUnavailableError) it retries with backoff, from 250 ms
 * doubling to 5 s, logging each retry, for at most `budgetMs`. Any other error, a wrong
 * password or a missing database, will not heal by waiting: it is thrown at once.
 */
export async function openWithRetry<T>(
  open: () => Promise<T>,
  options: DatabaseRetryOptions,
): Promise<T> {
  const { what, budgetMs, logger } = options;
  const deadline = Date.now() + budgetMs;
  let delayMs = options.firstDelayMs ?? 250;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await open();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) {
        throw new Error(
          `cannot open ${what}: ${(error as Error).message} (not retried: waiting will not fix ` +
            'this; check DATABASE_URL and the database)',
          { cause: error },
        );
      }
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) {
        throw new Error(
          `${what} did not accept connections within ${budgetMs / 1_000} s (${attempt} ` +
            `attempts; last: ${error.message}). Is it running and reachable? ` +
            'DATABASE_CONNECT_TIMEOUT_MS sets how long start-up waits.',
          { cause: error },
        );
      }
      const retryInMs = Math.min(delayMs, remainingMs);
      logger.warn('database not reachable yet: retrying', {
        database: what,
        attempt,
        retryInMs,
        remainingMs,
        reason: error.message,
      });
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
      delayMs = Math.min(delayMs * 2, options.maxDelayMs ?? 5_000);
    }
  }
}
