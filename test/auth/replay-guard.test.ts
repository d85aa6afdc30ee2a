import { describe, expect, it } from 'vitest';
import { createReplayGuard } from '../../src/auth/index.js';

describe('client assertion replay guard', () => {
  it('refuses an id again until it expires (RFC 7523 §3 item 7)', () => {
    let clock = 1_000;
    const guard = createReplayGuard({ now: () => clock });
    expect(guard.remember('a', 2_000)).toBe('new');
    expect(guard.remember('a', 2_000)).toBe('replayed');
    clock = 2_000;
    expect(guard.remember('a', 3_000)).toBe('new');
  });

  it('refuses new ids when full of unexpired ones, rather than forget one', () => {
    let clock = 0;
    const guard = createReplayGuard({ capacity: 2, now: () => clock });
    expect(guard.remember('a', 100)).toBe('new');
    expect(guard.remember('b', 50)).toBe('new');
    expect(guard.remember('c', 100)).toBe('full');
    // 'b' expired though 'a', remembered before it, did not: the full sweep finds it.
    clock = 60;
    expect(guard.remember('c', 100)).toBe('new');
    expect(guard.remember('a', 100)).toBe('replayed');
  });
});
