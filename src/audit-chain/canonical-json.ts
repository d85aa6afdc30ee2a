/**
 * RFC 8785 (JCS) text of a JSON value, written for the audit chain's hot path: the sealer hashes
 * every stored event. Same output as the `canonicalize` package for every JSON value (a test
 * holds the two together over generated values), without its per-call bookkeeping: no set of
 * seen objects (an event read from the store cannot be circular), no intermediate arrays.
 * Strings are JSON.stringify'd, as JCS prescribes; numbers too (ECMAScript's shortest form).
 */
// With the `u` flag a surrogate pair is one code point, so only a lone surrogate matches.
const LONE_SURROGATE = /\p{Surrogate}/u;

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new Error('Lone surrogate is not allowed');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`${value} is not allowed`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return canonicalObject(value as object);
    default:
      // undefined, functions, symbols at the top: what JSON.stringify writes for them.
      return JSON.stringify(value);
  }
}

function canonicalObject(value: object): string {
  const toJson = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJson === 'function') return canonicalJson(toJson.call(value));
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (i > 0) out += ',';
      out += item === undefined || typeof item === 'symbol' ? 'null' : canonicalJson(item);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Default sort: UTF-16 code units, the order JCS asks for.
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined || typeof item === 'symbol') continue;
    if (!first) out += ',';
    first = false;
    out += `${canonicalJson(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
}
