import type { Progress } from '@modelcontextprotocol/sdk/types.js';

export interface ProgressThrottle {
  /** Takes a progress notification; only the latest waiting one is ever sent. */
  report(progress: Progress): void;
  /** Drops what waits and resolves once the send in flight (if any) is done. */
  stop(): Promise<void>;
}

/**
 * Passes progress on at most once per `intervalMs`, one send at a time, always the latest:
 * a tool that reports a thousand steps a second costs a few writes, not a thousand.
 */
export function createProgressThrottle(
  send: (text: string) => Promise<void>,
  intervalMs = 250,
): ProgressThrottle {
  let waiting: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let stopped = false;

  const pump = () => {
    if (stopped || inFlight || timer || waiting === undefined) return;
    const wait = lastSentAt + intervalMs - Date.now();
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        pump();
      }, wait);
      return;
    }
    const text = waiting;
    waiting = undefined;
    lastSentAt = Date.now();
    // A failed send (the task was canceled meanwhile) leaves the run to its signal.
    inFlight = send(text)
      .catch(() => {})
      .finally(() => {
        inFlight = undefined;
        pump();
      });
  };

  return {
    report(progress) {
      if (stopped) return;
      waiting = progressText(progress);
      pump();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
}

/** `progress 3/10: copying` — the total and message when the tool gives them. */
export function progressText({ progress, total, message }: Progress): string {
  const amount = total === undefined ? `${progress}` : `${progress}/${total}`;
  return message ? `progress ${amount}: ${message}` : `progress ${amount}`;
}
