import { randomUUID } from 'node:crypto';
import type { ReceiveOptions } from '../../src/bus/index.js';

/** Receive options of the bus tests: group `workers`, a fresh member name, roomy defaults. */
export function receiveOptions(overrides: Partial<ReceiveOptions> = {}): ReceiveOptions {
  return {
    group: 'workers',
    consumer: `c-${randomUUID().slice(0, 8)}`,
    prefetch: 16,
    visibilityTimeoutMs: 30_000,
    ...overrides,
  };
}
