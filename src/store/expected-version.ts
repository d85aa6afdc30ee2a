import type { ExpectedVersion } from './event-store.js';

/** Calls `conflict(actual)` unless a stream at `actual` (0 = absent) satisfies `expected`. */
export function checkExpectedVersion(
  _streamId: string,
  expected: ExpectedVersion,
  actual: number,
  conflict: (actual: number) => never,
): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && actual === 0) ||
    (expected === 'stream_exists' && actual > 0) ||
    expected === actual;
  if (!ok) conflict(actual);
}

/** How the SQL function receives an expected version (`0` and `no_stream` are the same). */
export function expectedVersionParam(expected: ExpectedVersion): string {
  return typeof expected === 'number' ? String(expected) : expected;
}
