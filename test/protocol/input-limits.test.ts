import { describe, expect, it } from 'vitest';
import {
  MAX_VALUE_DEPTH,
  nestsDeeperThan,
  SendMessageRequestSchema,
  StructSchema,
  textProblem,
} from '../../src/protocol/index.js';
import { findValueProblem } from '../../src/protocol/input-limits.js';

/** `{"a":{"a":…1}}` with `depth` objects, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('input limits: what PostgreSQL can store and recursion can walk', () => {
  it('refuses NUL and lone surrogates in text, and keeps surrogate pairs', () => {
    expect(textProblem('a\u0000b')).toContain('NUL');
    expect(textProblem('\ud800')).toContain('surrogate');
    expect(textProblem('x\udfff')).toContain('surrogate');
    expect(textProblem('\ude00\ud83d')).toContain('surrogate');
    expect(textProblem('😀 \ud83d\ude00 é')).toBeUndefined();
  });

  it('finds the first problem of a free-form value in document order, keys included', () => {
    expect(findValueProblem({ a: ['ok', '\u0000'], b: '\ud800' })).toEqual({
      path: ['a', 1],
      message: 'must not contain the NUL character (U+0000)',
    });
    expect(findValueProblem({ ok: { '\ud800': 1 } })?.path).toEqual(['ok', '\ud800']);
    expect(findValueProblem(JSON.parse('{"x":[{"__proto__":1}]}'))).toEqual({
      path: ['x', 0, '__proto__'],
      message: 'is not allowed as a key',
    });
    expect(findValueProblem({ toString: 1, constructor: [null] })).toBeUndefined();
  });

  it(`allows ${MAX_VALUE_DEPTH} levels of nesting in a free-form value, and no more`, () => {
    expect(findValueProblem(nested(MAX_VALUE_DEPTH))).toBeUndefined();
    expect(findValueProblem(nested(MAX_VALUE_DEPTH + 1))).toEqual({
      path: [],
      message: `nests deeper than ${MAX_VALUE_DEPTH} levels`,
    });
  });

  it('measures any depth without recursion', () => {
    const deep = nested(200_000);
    expect(nestsDeeperThan(deep, 100)).toBe(true);
    expect(findValueProblem(deep)?.message).toContain('deeper');
    expect(nestsDeeperThan(nested(100), 100)).toBe(false);
    expect(nestsDeeperThan([[[]]], 2)).toBe(true);
    expect(nestsDeeperThan('{"a":', 0)).toBe(false);
  });

  it('reports problems through the schemas with the field path', () => {
    const issue = (input: unknown) => SendMessageRequestSchema.safeParse(input).error?.issues[0];
    const message = { messageId: 'm', role: 'ROLE_USER', parts: [{ text: 'x' }] };
    expect(issue({ message: { ...message, contextId: '\u0000' } })?.path).toEqual([
      'message',
      'contextId',
    ]);
    expect(issue({ message, metadata: { deep: nested(MAX_VALUE_DEPTH) } })?.path).toEqual([
      'metadata',
    ]);
    expect(issue({ message: { ...message, parts: [{ data: { k: ['\ud800'] } }] } })?.path).toEqual([
      'message',
      'parts',
      0,
      'data',
      'k',
      0,
    ]);
    expect(StructSchema.safeParse({ toString: 'kept' }).data).toEqual({ toString: 'kept' });
  });
});
