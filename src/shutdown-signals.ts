const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

export interface ShutdownSignalHandlers {
  /** The first SIGTERM or SIGINT: shut down gracefully. */
  stop(signal: NodeJS.Signals): void;
  /** A signal again, after the repeat window: the operator insists, exit now. */
  force(signal: NodeJS.Signals): void;
  /** A copy of the first signal, inside the window: nothing to do but say so. */
  repeated?(signal: NodeJS.Signals): void;
}

/**
 * Listens for SIGTERM and SIGINT. One request to stop often arrives as several signals: a
 * terminal's Ctrl-C and `kill -TERM -<pgid>` reach every process of the group, and npm relays
 * its own copy to its child, milliseconds later. Signals within `repeatWindowMs` of the first
 * are that same request; one after it is a person asking again, and forces the exit.
 * Returns a function that removes the listeners.
 */
export function onShutdownSignals(
  handlers: ShutdownSignalHandlers,
  options: { repeatWindowMs?: number } = {},
): () => void {
  const repeatWindowMs = options.repeatWindowMs ?? 1_000;
  let firstAt: number | undefined;
  const listener = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstAt === undefined) {
      firstAt = now;
      handlers.stop(signal);
    } else if (now - firstAt < repeatWindowMs) {
      handlers.repeated?.(signal);
    } else {
      handlers.force(signal);
    }
  };
  for (const signal of STOP_SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, listener);
  };
}
