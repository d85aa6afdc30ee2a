import { afterEach, describe, expect, it, vi } from 'vitest';
import { onShutdownSignals } from '../src/shutdown-signals.js';

describe('shutdown signals', () => {
  let remove: (() => void) | undefined;
  afterEach(() => {
    remove?.();
    vi.restoreAllMocks();
  });

  function listen() {
    const calls: string[] = [];
    remove = onShutdownSignals(
      {
        stop: (signal) => calls.push(`stop ${signal}`),
        repeated: (signal) => calls.push(`repeated ${signal}`),
        force: (signal) => calls.push(`force ${signal}`),
      },
      { repeatWindowMs: 1_000 },
    );
    return calls;
  }
  const at = (ms: number) => vi.spyOn(Date, 'now').mockReturnValue(ms);
  const signal = (name: NodeJS.Signals) => process.emit(name, name);

  it('reads copies of the first signal within the window as the same request to stop', () => {
    const calls = listen();
    at(10_000);
    signal('SIGTERM');
    at(10_002);
    signal('SIGTERM');
    at(10_900);
    signal('SIGINT');
    expect(calls).toEqual(['stop SIGTERM', 'repeated SIGTERM', 'repeated SIGINT']);
  });

  it('forces the exit when a signal comes again after the window (Ctrl-C twice)', () => {
    const calls = listen();
    at(10_000);
    signal('SIGINT');
    at(11_000);
    signal('SIGINT');
    expect(calls).toEqual(['stop SIGINT', 'force SIGINT']);
  });
});
