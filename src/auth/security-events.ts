import { z } from 'zod';
import type { EventRegistry } from '../events/index.js';
import type { EventStore } from '../store/index.js';

/** Refusals go to one stream of their own, beside the tasks'. */
export const SECURITY_STREAM = 'security';
export const ACCESS_DENIED = 'security.access_denied';

/** A request refused: unauthenticated (401) or not allowed (403, or another tenant's task). */
export const AccessDeniedSchema = z.object({
  kind: z.enum(['unauthenticated', 'forbidden']),
  /** Who, as far as the gateway could tell: `anonymous` before authentication. */
  principal: z.string().min(1),
  reason: z.string().min(1),
  path: z.string(),
  remoteAddress: z.string().optional(),
  /** Refusals before this one that were not recorded (rate limit). */
  suppressed: z.int().min(0),
});
export type AccessDenied = z.infer<typeof AccessDeniedSchema>;

export function registerSecurityEvents(registry: EventRegistry): EventRegistry {
  return registry.register({ type: ACCESS_DENIED, version: 1, schema: AccessDeniedSchema });
}

export type Denial = Omit<AccessDenied, 'suppressed'> & { tenant?: string };

export interface DenialRecorder {
  /** Records the refusal, unless refusals come faster than the rate allows. Never throws. */
  record(denial: Denial): void;
  /** Writes the count of unrecorded refusals, if any, and waits for writes in flight. */
  flush(): Promise<void>;
}

/**
 * Records refusals as events, at most `perSecond` (bursts of `burst`): a flood of bad
 * credentials must not fill the store. What the limit drops is counted, and the count is
 * carried by the next recorded refusal (or written alone within a second when the flood
 * stops), so the audit still shows how many there were.
 */
export function createDenialRecorder(
  store: EventStore,
  options: {
    perSecond?: number;
    burst?: number;
    now?: () => number;
    onError?: (error: unknown) => void;
  } = {},
): DenialRecorder {
  const perSecond = options.perSecond ?? 5;
  const burst = options.burst ?? 20;
  const now = options.now ?? Date.now;
  let tokens = burst;
  let refilledAt = now();
  let suppressed = 0;
  let last: Denial | undefined;
  let timer: NodeJS.Timeout | undefined;
  const writes = new Set<Promise<unknown>>();

  function take(): boolean {
    const at = now();
    tokens = Math.min(burst, tokens + ((at - refilledAt) / 1000) * perSecond);
    refilledAt = at;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  function write(denial: Denial): void {
    const { tenant, ...data } = denial;
    const event = {
      type: ACCESS_DENIED,
      data: { ...data, suppressed },
      metadata: { principal: denial.principal, ...(tenant ? { tenant } : {}), source: 'auth' },
    };
    suppressed = 0;
    const work = store
      .append(SECURITY_STREAM, [event], { expectedVersion: 'any' })
      .catch((error: unknown) => options.onError?.(error));
    writes.add(work);
    void work.finally(() => writes.delete(work));
  }

  function later(): void {
    timer ??= setTimeout(() => {
      timer = undefined;
      if (suppressed === 0 || !last) return;
      if (take())
        write({ ...last, reason: `${suppressed} refusals not recorded, like: ${last.reason}` });
      else later();
    }, 1_000);
    timer.unref();
  }

  return {
    record(denial) {
      last = denial;
      if (take()) write(denial);
      else {
        suppressed += 1;
        later();
      }
    },
    async flush() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (suppressed > 0 && last)
        write({ ...last, reason: `${suppressed} refusals not recorded, like: ${last.reason}` });
      await Promise.all(writes);
    },
  };
}
