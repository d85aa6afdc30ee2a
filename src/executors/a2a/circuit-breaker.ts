import type { BreakerState } from '../hosted-executor.js';
import { CircuitOpenError, UpstreamError } from './upstream-errors.js';

export interface BreakerOptions {
  /** Failures in a row that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before one call may try (half-open). */
  openMs: number;
  now?: () => number;
}

export interface CircuitBreaker {
  /** Runs `call` unless the circuit is open; its outcome moves the breaker. */
  guard<T>(call: () => Promise<T>): Promise<T>;
  /** For outcomes known after the call returned (a stream that drops later). */
  recordFailure(): void;
  recordSuccess(): void;
  state(): BreakerState;
  /** Why it is open or half-open, for health; undefined when closed. */
  describe(): string | undefined;
}

/**
 * One upstream's circuit breaker: closed until `failureThreshold` failures in a row (no
 * answer, or garbage: `UpstreamError.breakerFailure`), then open (calls fail at once) for
 * `openMs`, then half-open: one call tries, and its outcome closes or opens the circuit again.
 * A proper refusal (a JSON-RPC error) is an answer, so it counts as a success.
 */
export function createCircuitBreaker(upstream: string, options: BreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  let failures = 0;
  let openedAt: number | undefined;
  let trialInFlight = false;

  const current = (): BreakerState => {
    if (openedAt === undefined) return 'closed';
    return now() - openedAt >= options.openMs ? 'half-open' : 'open';
  };
  const nextTryS = () =>
    Math.max(1, Math.ceil((openedAt! + options.openMs - now()) / 1_000)).toString();

  const failure = () => {
    failures += 1;
    if (openedAt !== undefined || failures >= options.failureThreshold) openedAt = now();
  };
  const success = () => {
    failures = 0;
    openedAt = undefined;
  };

  return {
    async guard(call) {
      const state = current();
      if (state === 'open')
        throw new CircuitOpenError(
          upstream,
          `circuit open after ${failures} failures; next try in ${nextTryS()} s`,
        );
      const trial = state === 'half-open';
      if (trial) {
        if (trialInFlight)
          throw new CircuitOpenError(upstream, 'circuit half-open, a trial call is in flight');
        trialInFlight = true;
      }
      try {
        const result = await call();
        success();
        return result;
      } catch (error) {
        // Anything else is our side giving up (a cancel): it proves nothing either way.
        if (error instanceof UpstreamError) {
          if (error.breakerOutcome === 'failure') failure();
          if (error.breakerOutcome === 'success') success();
        }
        throw error;
      } finally {
        if (trial) trialInFlight = false;
      }
    },
    recordFailure: failure,
    recordSuccess: success,
    state: current,
    describe() {
      const state = current();
      if (state === 'open')
        return `circuit open after ${failures} failures; next try in ${nextTryS()} s`;
      if (state === 'half-open')
        return `circuit half-open after ${failures} failures: the next call tries the upstream`;
      return undefined;
    },
  };
}
