// Small object helpers the 0.3 translation shares.

/** Drops `undefined` members so a result reads as it serializes and `in` tells the truth. */
export function prune<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function mapValues<T, U>(
  record: Record<string, T>,
  map: (value: T) => U,
): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
