import type { ExecutorHealth, HostedExecutor } from '../hosted-executor.js';
import { createEchoAgent } from './echo.js';
import type { BuiltinExecutorSpec } from './spec.js';

const BUILTIN = { echo: createEchoAgent } as const;
const UP: ExecutorHealth = { status: 'up' };

/** A builtin agent: code in this process, its card wholly from its file, nothing to connect. */
export function createBuiltinExecutor(spec: BuiltinExecutorSpec): HostedExecutor {
  return {
    executor: BUILTIN[spec.agent](),
    name: `builtin:${spec.agent}`,
    // Builtin agents have no side effects outside the task: claim with the first update.
    claim: 'with-first-update',
    start: async () => {},
    card: () => undefined,
    onCardChange: () => () => {},
    health: () => UP,
    close: async () => {},
  };
}
