/**
 * RabbitMQ has no per-message delay that is exact: a queue expires messages only from its
 * head, so a long per-message TTL holds back a short one behind it. Instead, a delayed
 * message walks a chain of wait queues, each with one fixed TTL (level k waits 2^k ms), so
 * every queue expires in arrival order. A delay is written in binary: the message visits the
 * level of each 1 bit, highest first, and after level 0 reaches the due exchange. The bits
 * travel as headers (`bus-d<k>`), the target as the routing key, which dead-lettering keeps.
 */

/** Highest level: one pass through the chain covers delays up to 2^32 - 1 ms (about 49 days). */
export const TOP_LEVEL = 31;
export const LONGEST_DELAY_MS = 2 ** (TOP_LEVEL + 1) - 1;

export function delayBitHeader(level: number): string {
  return `bus-d${level}`;
}

export interface DelayRoute {
  /** The level the message enters at: the delay's highest 1 bit. */
  top: number;
  /** One header per level from `top` down to 0: '1' waits there, '0' passes on. */
  headers: Record<string, string>;
}

/**
 * The route for a delay of at least `delayMs` (rounded up to whole milliseconds; longer than
 * one pass is capped, and the receiver sends the rest round again). Undefined when not positive.
 */
export function delayRoute(delayMs: number): DelayRoute | undefined {
  if (!(delayMs > 0)) return undefined;
  const ms = Math.min(LONGEST_DELAY_MS, Math.ceil(delayMs));
  const top = ms.toString(2).length - 1;
  const headers: Record<string, string> = {};
  // Division, not bit operators: delays above 2^31 ms do not fit a signed 32-bit integer.
  for (let level = top; level >= 0; level -= 1) {
    headers[delayBitHeader(level)] = Math.floor(ms / 2 ** level) % 2 === 1 ? '1' : '0';
  }
  return { top, headers };
}
