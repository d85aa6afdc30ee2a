/**
 * Fire-and-forget notifications between processes: a wake-up or a hint, never work. Nothing
 * is stored; a listener that is not listening when a notification is sent never sees it, so
 * anything that must not be lost goes through a `BusTransport` instead.
 */
export interface Notifier {
  /** Resolves once the notification is handed to whoever listens now (there may be nobody). */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Resolves once listening: every notification sent after that reaches `onMessage`, in the
   * order one sender sent them. Resolves to a function that stops this listener.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  /** Stops every listener and closes connections; `notify` and `listen` fail afterwards. */
  close(): Promise<void>;
}

/** The in-process notifier: one process, one hub; what a test or a single instance needs. */
export function createMemoryNotifier(): Notifier {
  const channels = new Map<string, Set<(payload: string) => void>>();
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('notifier is closed');
  };
  return {
    async notify(channel, payload) {
      open();
      const listeners = channels.get(channel);
      if (!listeners) return;
      // Copied first, so a listener that stops or starts another does not change this round;
      // delivered on a later turn, like a notification that crossed a network.
      for (const listener of [...listeners]) {
        queueMicrotask(() => {
          if (channels.get(channel)?.has(listener)) callSafely(listener, payload);
        });
      }
    },
    async listen(channel, onMessage) {
      open();
      // A wrapper per call, so one function listening twice is stopped once per listen.
      const listener = (payload: string): void => onMessage(payload);
      let listeners = channels.get(channel);
      if (!listeners) {
        listeners = new Set();
        channels.set(channel, listeners);
      }
      listeners.add(listener);
      return async () => {
        const current = channels.get(channel);
        current?.delete(listener);
        if (current?.size === 0) channels.delete(channel);
      };
    },
    async close() {
      closed = true;
      channels.clear();
    },
  };
}

/**
 * A listener that throws must not stop the others or the connection reading for them; a
 * notification carries nothing to retry, so the error has nowhere useful to go.
 */
export function callSafely(listener: (payload: string) => void, payload: string): void {
  try {
    listener(payload);
  } catch {
    // Deliberately dropped: see above.
  }
}
