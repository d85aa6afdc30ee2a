import type { Message } from '../../protocol/index.js';

/**
 * The message metadata key that lists the gateway hops a message has passed, oldest first,
 * each `<gateway id>/<agent>`. Every gateway that forwards a message adds its own hop, so a
 * chain of gateways can see a loop, and how deep it is, without knowing each other.
 */
export const TRACE_KEY = 'a2a-gateway/trace';

export type TraceCheck =
  | { ok: true; trace: string[] }
  | { ok: false; reason: 'loop' | 'depth'; message: string };

/**
 * Whether `message` may be forwarded by hop `hop`: not when it has passed this hop before (a
 * loop) or has passed `maxDepth` hops already. `trace` is what to send on: the hops so far and
 * ours. A trace that is not a list of strings is read for the strings it has.
 */
export function checkTrace(message: Message, hop: string, maxDepth: number): TraceCheck {
  const raw = message.metadata?.[TRACE_KEY];
  const incoming = Array.isArray(raw) ? raw.filter((h): h is string => typeof h === 'string') : [];
  const path = [...incoming, hop].join(' → ');
  if (incoming.includes(hop))
    return {
      ok: false,
      reason: 'loop',
      message: `delegation loop: this message already passed through ${hop} (${path}); not forwarded again`,
    };
  if (incoming.length >= maxDepth)
    return {
      ok: false,
      reason: 'depth',
      message: `delegation chain too deep: this message already passed ${incoming.length} gateway hops, the limit is ${maxDepth} (${path})`,
    };
  return { ok: true, trace: [...incoming, hop] };
}
