// What a request may carry, checked where it enters (the schemas here and the JSON-RPC body
// parser) so that nothing below meets input it cannot store or walk:
// - PostgreSQL `text` and `jsonb` hold neither U+0000 nor a lone UTF-16 surrogate; the latter
//   has no UTF-8 form either (Buffer and TextEncoder turn it into U+FFFD);
// - recursive code (zod's JSON schema, JSON.stringify, jsonb) has a stack of its own, so
//   nesting is bounded before any of it runs, by loops that hold their own stack.

/** Containers a free-form value (metadata, a data part) may nest: `{}` is 1, `{"a":[]}` is 2. */
export const MAX_VALUE_DEPTH = 64;

/**
 * Containers a whole JSON-RPC body may nest, as protobuf parsers stop at 100 too. Above the
 * free-form bound plus the fixed levels around a data part, so values get the precise error.
 */
export const MAX_BODY_DEPTH = 100;

// With the `u` flag a surrogate pair is one code point, so only a lone surrogate matches.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Why `text` cannot be kept as written, or undefined when it can. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'must not contain a lone UTF-16 surrogate (U+D800-U+DFFF)';
  return undefined;
}

export interface ValueProblem {
  /** Where, from the value itself: `['list', 1]`; empty for the value as a whole. */
  path: (string | number)[];
  message: string;
}

interface Frame {
  value: unknown;
  /** Containers around this value. */
  depth: number;
  key?: string | number;
  parent?: Frame;
}

/**
 * The first thing in a free-form JSON value the gateway refuses, in document order: nesting
 * deeper than `maxDepth`, text (keys included) that `textProblem` refuses, or the key
 * `__proto__`, which a JavaScript object cannot keep as data (zod and spreads drop it).
 *
 * @example findValueProblem({ a: ['ok', '\u0000'] }) // { path: ['a', 1], message: '…NUL…' }
 */
export function findValueProblem(
  value: unknown,
  maxDepth = MAX_VALUE_DEPTH,
): ValueProblem | undefined {
  const stack: Frame[] = [{ value, depth: 0 }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if (typeof frame.key === 'string') {
      const message =
        frame.key === '__proto__' ? 'is not allowed as a key' : textProblem(frame.key);
      if (message) return { path: pathOf(frame), message };
    }
    const item = frame.value;
    if (typeof item === 'string') {
      const message = textProblem(item);
      if (message) return { path: pathOf(frame), message };
      continue;
    }
    if (typeof item !== 'object' || item === null) continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth) return { path: [], message: `nests deeper than ${maxDepth} levels` };
    const entries: [string | number, unknown][] = Array.isArray(item)
      ? item.map((child, index) => [index, child])
      : Object.entries(item);
    // Pushed last to first, so the first child is looked at first.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      stack.push({ value: child, depth, key, parent: frame });
    }
  }
  return undefined;
}

/** Whether a parsed JSON value nests more than `maxDepth` containers anywhere. */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [item, outer] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (outer + 1 > maxDepth) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, outer + 1]);
    }
  }
  return false;
}

function pathOf(frame: Frame): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Frame | undefined = frame; at?.key !== undefined; at = at.parent) {
    path.unshift(at.key);
  }
  return path;
}
