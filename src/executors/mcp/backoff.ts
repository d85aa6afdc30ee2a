/** The reconnect settings of an MCP agent file (`reconnect`). */
export interface BackoffSettings {
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * The wait before retry number `retry` (1 for the first): doubling from `initialDelayMs` up to
 * `maxDelayMs`, then jittered into its upper half, so that gateways restarted together do not
 * knock on a recovering server in step, while "next attempt in" stays a fair promise.
 */
export function backoffDelay(
  retry: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const doublings = Math.min(Math.max(retry - 1, 0), 30);
  const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** doublings);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
