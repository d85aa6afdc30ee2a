import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/audit-chain/canonical-json.js';

// The chain's hashes were sealed with the `canonicalize` package: the fast path must write
// byte for byte the same text, or every chain sealed before it would stop verifying.
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }).filter((text) => !/\p{Surrogate}/u.test(text)),
  fc.constantFrom('', 'a', 'é', '\u2028', '"\\', '\u0001', '😀', 'Z', 'aa', 'a\u0000'),
);
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    anyText,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(anyText, tie('value'), { maxKeys: 6 }),
  ),
}));

describe('canonical JSON (RFC 8785) of stored events', () => {
  it('writes what the canonicalize package writes, for any JSON value', () => {
    fc.assert(
      fc.property(jsonish.value, (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 2_000, seed: 8785 },
    );
  });

  it('writes what the canonicalize package writes for undefined members, toJSON and -0', () => {
    const value = {
      b: [undefined, 1, -0, 1e21, 5e-7],
      a: { skipped: undefined, at: new Date(0) },
      é: 'x',
      E: true,
    };
    expect(canonicalJson(value)).toBe(canonicalize(value));
    expect(canonicalJson(value)).toBe(
      '{"E":true,"a":{"at":"1970-01-01T00:00:00.000Z"},"b":[null,1,0,1e+21,5e-7],"é":"x"}',
    );
  });

  it('refuses what JCS refuses: lone surrogates, NaN and infinities', () => {
    for (const bad of [{ text: 'a\uD800' }, { '\uDC00': 1 }, [Number.NaN], { n: Infinity }]) {
      expect(() => canonicalJson(bad)).toThrow();
      expect(() => canonicalize(bad)).toThrow();
    }
  });
});
