/**
 * Remembers client-assertion `jti`s until their assertion expires, so none is accepted twice
 * (RFC 7523 §3 item 7). In memory, per process: replicas do not share it, which the short
 * assertion lifetime the token endpoint enforces keeps to a small window.
 */
export interface ReplayGuard {
  /**
   * `new` (now remembered until `expiresAtMs`), `replayed` (seen and not expired), or `full`:
   * the guard holds `capacity` unexpired ids and refuses more rather than forget one.
   */
  remember(id: string, expiresAtMs: number): 'new' | 'replayed' | 'full';
}

export function createReplayGuard(
  options: { capacity?: number; now?: () => number } = {},
): ReplayGuard {
  const capacity = options.capacity ?? 100_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();

  function forgetExpired(at: number, everything: boolean): void {
    for (const [id, expiresAt] of seen) {
      if (expiresAt > at) {
        // Ids arrive in roughly expiry order: the oldest ones expire first.
        if (!everything) return;
        continue;
      }
      seen.delete(id);
    }
  }

  return {
    remember(id, expiresAtMs) {
      const at = now();
      forgetExpired(at, false);
      const expiresAt = seen.get(id);
      if (expiresAt !== undefined && expiresAt > at) return 'replayed';
      if (seen.size >= capacity) forgetExpired(at, true);
      if (seen.size >= capacity) return 'full';
      seen.set(id, expiresAtMs);
      return 'new';
    },
  };
}
