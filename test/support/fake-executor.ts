import type { AgentExecutor, Emission, Emit, ExecutionContext } from '../../src/executors/index.js';
import { eventually } from './collect.js';

/** One step of a scripted run. */
export type Step =
  | { kind: 'emit'; emissions: Emission[] }
  /** Waits until the test opens the gate, or the run's signal is aborted. */
  | { kind: 'gate' }
  | { kind: 'throw'; error: Error };

export const emit = (...emissions: Emission[]): Step => ({ kind: 'emit', emissions });
export const gate = (): Step => ({ kind: 'gate' });
export const fail = (error: Error): Step => ({ kind: 'throw', error });

export const working: Emission = { kind: 'status', state: 'TASK_STATE_WORKING' };
export const completed: Emission = { kind: 'status', state: 'TASK_STATE_COMPLETED' };
export const inputRequired: Emission = { kind: 'status', state: 'TASK_STATE_INPUT_REQUIRED' };

export interface FakeRun {
  context: ExecutionContext;
  /** How the run ended; unset while it runs. */
  ended?: { returned: true } | { threw: unknown };
}

export interface FakeExecutor extends AgentExecutor {
  /** Every run so far, in the order they started. */
  readonly runs: FakeRun[];
  /** Lets every run waiting at the gate, and every later one, go on. */
  open(): void;
  /** Resolves with run `n` (1-based) once it has started. */
  started(n?: number): Promise<FakeRun>;
  /** Resolves with run `n` once it has ended. */
  ended(n?: number): Promise<FakeRun>;
}

/**
 * An executor that follows a script: `script(n)` gives run n's steps. Once its signal is
 * aborted a run throws the signal's reason, or with `onAbort: 'return'` simply returns: the
 * executor contract allows either.
 */
export function createFakeExecutor(
  script: Step[] | ((run: number) => Step[]),
  options: { onAbort?: 'throw' | 'return' } = {},
): FakeExecutor {
  const runs: FakeRun[] = [];
  const waiting = new Set<() => void>();
  let opened = false;

  function atGate(signal: AbortSignal): Promise<void> {
    if (opened || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const go = () => {
        waiting.delete(go);
        signal.removeEventListener('abort', go);
        resolve();
      };
      waiting.add(go);
      signal.addEventListener('abort', go);
    });
  }

  async function play(steps: Step[], context: ExecutionContext, report: Emit): Promise<void> {
    for (const step of steps) {
      if (step.kind === 'emit') await report(...step.emissions);
      else if (step.kind === 'throw') throw step.error;
      else {
        await atGate(context.signal);
        if (!context.signal.aborted) continue;
        if (options.onAbort === 'return') return;
        throw context.signal.reason;
      }
    }
  }

  const nth = async (n: number, done: (run: FakeRun | undefined) => boolean) => {
    await eventually(() => done(runs[n - 1]));
    return runs[n - 1]!;
  };

  return {
    runs,
    async execute(context, report) {
      const run: FakeRun = { context };
      runs.push(run);
      const steps = typeof script === 'function' ? script(runs.length) : script;
      try {
        await play(steps, context, report);
        run.ended = { returned: true };
      } catch (error) {
        run.ended = { threw: error };
        throw error;
      }
    },
    open() {
      opened = true;
      for (const go of [...waiting]) go();
    },
    started: (n = 1) => nth(n, (run) => run !== undefined),
    ended: (n = 1) => nth(n, (run) => run?.ended !== undefined),
  };
}
