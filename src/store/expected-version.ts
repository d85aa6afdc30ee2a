import type { ExpectedVersion } from './event-store.js';

/** Whether a stream at version `actual` (0 = absent) satisfies `expected`. */
export function satisfiesExpectedVersion(expected: ExpectedVersion, actual: number): boolean {
  return (
    expected === 'any' ||
    (expected === 'no_stream' && actual === 0) ||
    (expected === 'stream_exists' && actual > 0) ||
    expected === actual
  );
}

/** How the SQL function receives an expected version (`0` and `no_stream` are the same). */
export function expectedVersionParam(expected: ExpectedVersion): string {
  return typeof expected === 'number' ? String(expected) : expected;
}
