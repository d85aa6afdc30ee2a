import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  delayBitHeader,
  delayRoute,
  LONGEST_DELAY_MS,
  TOP_LEVEL,
} from '../../src/bus/amqp/delay-route.js';

/** What the chain waits for a route: 2^k ms at each level whose bit is '1'. */
function waited(headers: Record<string, string>, top: number): number {
  let total = 0;
  for (let level = top; level >= 0; level -= 1) {
    if (headers[delayBitHeader(level)] === '1') total += 2 ** level;
  }
  return total;
}

describe('RabbitMQ delay route', () => {
  it('writes a delay in binary, entering at its highest bit', () => {
    const route = delayRoute(400);
    expect(route?.top).toBe(8);
    // 400 = 256 + 128 + 16
    expect(route?.headers).toEqual({
      'bus-d8': '1',
      'bus-d7': '1',
      'bus-d6': '0',
      'bus-d5': '0',
      'bus-d4': '1',
      'bus-d3': '0',
      'bus-d2': '0',
      'bus-d1': '0',
      'bus-d0': '0',
    });
  });

  it('has no route for a delay that is not positive', () => {
    expect(delayRoute(0)).toBeUndefined();
    expect(delayRoute(-5)).toBeUndefined();
    expect(delayRoute(Number.NaN)).toBeUndefined();
  });

  it('waits at least the delay, less than a millisecond more, up to one pass of the chain', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: LONGEST_DELAY_MS, noNaN: true }), (delay) => {
        const route = delayRoute(delay)!;
        const total = waited(route.headers, route.top);
        expect(total).toBeGreaterThanOrEqual(delay);
        expect(total - delay).toBeLessThan(1);
        expect(route.headers[delayBitHeader(route.top)]).toBe('1');
      }),
    );
  });

  it('caps a delay longer than one pass at the top level', () => {
    const route = delayRoute(LONGEST_DELAY_MS * 3)!;
    expect(route.top).toBe(TOP_LEVEL);
    expect(waited(route.headers, route.top)).toBe(LONGEST_DELAY_MS);
  });
});
