import fc from 'fast-check';

// Arbitraries for fuzzing the gateway's edge: the classes of input that once reached the
// store or the decoder unchecked (NUL, lone surrogates, member-like keys, deep nesting), mixed
// with generic junk. Values are JSON-serializable; what JSON.stringify cannot write (1e400,
// 5,000 levels of nesting) travels as a `raw()` marker that `toBody` splices in as text.

const RAW = /"\\u0001RAW:([A-Za-z0-9+/=]*)\\u0001"/g;

/** A value that stands for `text` written verbatim into the JSON body. */
export const raw = (text: string) => `\u0001RAW:${Buffer.from(text).toString('base64')}\u0001`;

/** The body as sent: JSON with every `raw()` marker replaced by its text. */
export function toBody(value: unknown): string {
  return JSON.stringify(value).replace(RAW, (_, b64: string) =>
    Buffer.from(b64, 'base64').toString(),
  );
}

/** Names JavaScript objects answer to without owning them. */
export const MEMBER_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
] as const;

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Strings of every kind, weighted toward the ones PostgreSQL or JavaScript treat specially. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\udc00y', '\ufeff'),
  fc.constantFrom(...MEMBER_NAMES),
  fc
    .tuple(fc.string({ maxLength: 5 }), fc.oneof(loneSurrogate, fc.constant('\u0000')))
    .map(([text, bad]) => text + bad),
  fc.constantFrom('TASK_STATE_COMPLETED', 'ROLE_USER', '1.0', 'tasks/get', '../../etc', '%00'),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);

/** Nesting from just past the limits to far beyond what recursion survives. */
const deepRaw = fc
  .tuple(fc.integer({ min: 60, max: 5_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    raw(
      arrays
        ? `${'['.repeat(depth)}${']'.repeat(depth)}`
        : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    ),
  );

/** JSON text JSON.stringify would never write. */
const oddJsonRaw = fc
  .constantFrom(
    '1e400',
    '-1e400',
    '123456789012345678901234567890',
    '-0',
    '1E-400',
    '{"__proto__":{"id":"x","tenant":"t"}}',
    '{"__proto__":null}',
    '{"a":1,"a":2}',
    '"\\ud800"',
    '"\\u0000"',
    '["\\udfff",{"\\u0000":1}]',
  )
  .map(raw);

/** Anything a field might be sent instead of what it should hold. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 31, -1, 2 ** 53 + 1, Number.MAX_VALUE, 0.5) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...MEMBER_NAMES), nastyString) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 3 }) },
  { weight: 2, arbitrary: deepRaw },
  { weight: 1, arbitrary: oddJsonRaw },
);

/** Keys to add to an object: member names, proto-style names, anything. */
const nastyKey = fc.oneof(
  fc.constantFrom(...MEMBER_NAMES),
  fc.constantFrom('message_id', 'context_id', 'task_id', 'history_length', '_', '__proto_'),
  nastyString.filter((key) => key.length < 100),
);

type Path = (string | number)[];
type Edit =
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'add'; at: number; key: string; value: unknown }
  | { kind: 'delete'; at: number };

/**
 * Params that start valid (`template`) and are broken by up to three edits: a field set to
 * junk, a key added to an object, a field removed. Sometimes the params are junk outright.
 */
export function mutatedParams(template: object): fc.Arbitrary<unknown> {
  const paths = pathsOf(template);
  const containers = [[], ...paths].filter((path) => isContainer(get(template, path)));
  const edit: fc.Arbitrary<Edit> = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: junk }),
    fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: nastyKey, value: junk }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  );
  const edited = fc.array(edit, { minLength: 0, maxLength: 3 }).map((edits) => {
    const params = structuredClone(template) as Record<string, unknown>;
    for (const change of edits) {
      if (change.kind === 'add') {
        const target = get(params, containers[change.at % containers.length]!);
        if (isContainer(target)) define(target, change.key, change.value);
        continue;
      }
      if (paths.length === 0) continue;
      const path = paths[change.at % paths.length]!;
      const parent = get(params, path.slice(0, -1));
      if (!isContainer(parent)) continue;
      const key = path[path.length - 1]!;
      if (change.kind === 'set') define(parent, key, change.value);
      else delete (parent as Record<string | number, unknown>)[key];
    }
    return params;
  });
  return fc.oneof({ weight: 6, arbitrary: edited }, { weight: 1, arbitrary: junk });
}

/** Every path below the root: `[['message'], ['message', 'parts'], ['message', 'parts', 0], …]`. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (!isContainer(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    return [path, ...pathsOf(child, path)];
  });
}

function get(value: unknown, path: Path): unknown {
  let at = value;
  for (const key of path) {
    if (!isContainer(at) || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** An own property even for `__proto__`, which JSON.stringify then writes like any key. */
function define(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
