/**
 * Where an event's personal data sits: JSON paths into its payload, declared beside each
 * event type's schema (`EventTypeVersion.sensitive`). Encryption at rest, crypto-shredding and
 * redaction in the audit all walk the same paths, so one list decides what they protect.
 *
 * A path is dot-separated keys; `[*]` after a key means every element of that array:
 * `message.parts[*].text`. A path whose value is absent is skipped.
 */
export type SensitivePath = string;

type Step = { key: string; each: boolean };

const STEP = /^([A-Za-z_$][\w$]*)(\[\*\])?$/;

// Paths are few and fixed (declared per event type): each is parsed once.
const parsed = new Map<SensitivePath, Step[]>();

export function parseSensitivePath(path: SensitivePath): Step[] {
  const known = parsed.get(path);
  if (known) return known;
  const steps = path.split('.').map((part) => {
    const match = STEP.exec(part);
    if (!match) throw new Error(`invalid sensitive path ${JSON.stringify(path)} at ${part}`);
    return { key: match[1]!, each: match[2] !== undefined };
  });
  parsed.set(path, steps);
  return steps;
}

/**
 * A copy of `data` in which every value found at one of `paths` is replaced by
 * `replace(value, where)` (`where` the concrete path, `message.parts[0].text`). Only the
 * objects and arrays on the way are copied; `data` itself is left as it was.
 */
export function mapSensitive(
  data: unknown,
  paths: readonly SensitivePath[],
  replace: (value: unknown, where: string) => unknown,
): unknown {
  let result = data;
  for (const path of paths) result = mapPath(result, parseSensitivePath(path), 0, '', replace);
  return result;
}

function mapPath(
  value: unknown,
  steps: readonly Step[],
  index: number,
  where: string,
  replace: (value: unknown, where: string) => unknown,
): unknown {
  if (index === steps.length) return value === undefined ? value : replace(value, where);
  if (!isRecord(value)) return value;
  const step = steps[index]!;
  if (!(step.key in value) || value[step.key] === undefined) return value;
  const here = where ? `${where}.${step.key}` : step.key;
  const child = value[step.key];
  let next: unknown;
  if (step.each) {
    if (!Array.isArray(child)) return value;
    let changed = false;
    const items = child.map((item, i) => {
      const mapped = mapPath(item, steps, index + 1, `${here}[${i}]`, replace);
      if (mapped !== item) changed = true;
      return mapped;
    });
    next = changed ? items : child;
  } else {
    next = mapPath(child, steps, index + 1, here, replace);
  }
  return next === child ? value : { ...value, [step.key]: next };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
