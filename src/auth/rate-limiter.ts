import type { Principal } from './principal.js';

export interface RateLimiter {
  /** 0 when the call may go ahead, else the seconds until it may (a 429's Retry-After). */
  retryAfterS(principal: Principal): number;
  /** The same for any caller named by `key` (a remote address, before authentication). */
  retryAfterKeyS(key: string): number;
}

/**
 * A token bucket per principal: `perSecond` calls on average, bursts of `burst`. Anonymous
 * callers are not limited: they exist on loopback only (see gateway-auth.ts). Buckets of
 * callers gone quiet are dropped when the table is full, so memory stays bounded.
 */
export function createRateLimiter(options: {
  perSecond: number;
  burst: number;
  maxPrincipals?: number;
  now?: () => number;
}): RateLimiter {
  const { perSecond, burst } = options;
  const maxPrincipals = options.maxPrincipals ?? 100_000;
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();

  function prune(at: number): void {
    for (const [key, bucket] of buckets) {
      if (bucket.tokens + ((at - bucket.at) / 1000) * perSecond >= burst) buckets.delete(key);
    }
    // Everyone is busy: start over rather than grow without bound.
    if (buckets.size >= maxPrincipals) buckets.clear();
  }

  function retryAfterKeyS(key: string): number {
    if (perSecond <= 0) return 0;
    const at = now();
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= maxPrincipals) prune(at);
      bucket = { tokens: burst, at };
      buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond);
    bucket.at = at;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  return {
    retryAfterS(principal) {
      if (principal.via === 'anonymous') return 0;
      return retryAfterKeyS(`${principal.via}\n${principal.tenant}\n${principal.name}`);
    },
    retryAfterKeyS,
  };
}
