import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';

/** The settings a CONFIG_FILE holds, as the environment would give them, and their lines. */
export interface ConfigFileValues {
  path: string;
  values: Record<string, string>;
  /** The 1-based line of each key, so a bad value can be pointed at. */
  lines: Record<string, number>;
}

/** A config file that cannot be used: unreadable, not YAML/JSON, unknown keys. */
export class ConfigFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(problems.join('\n'));
    this.name = 'ConfigFileError';
  }
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Reads `path` (YAML or JSON by extension; JSON is parsed as the YAML it also is, so both give
 * line numbers). Keys are the environment variables' names; a value may be a scalar, a list of
 * scalars (written comma-separated, as the environment spells lists) or any other structure
 * (written as JSON, for settings that take JSON). `null` leaves a setting to its default.
 * `known` names the keys that exist: any other is an error naming it and the file.
 */
export function readConfigFile(path: string, known: ReadonlySet<string>): ConfigFileValues {
  if (!EXTENSIONS.has(extname(path).toLowerCase()))
    throw new ConfigFileError(path, [
      `CONFIG_FILE: ${path} must end in .yaml, .yml or .json (its extension picks the parser)`,
    ]);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(path, [
      `CONFIG_FILE: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    ]);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? 0 : lineCounter.linePos(offset).line;
  if (document.errors.length > 0)
    throw new ConfigFileError(
      path,
      document.errors.map(
        (error) => `${path}:${lineOf(error.pos[0])}: not valid YAML/JSON: ${firstLine(error)}`,
      ),
    );
  const values: Record<string, string> = {};
  const lines: Record<string, number> = {};
  const root = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { path, values, lines }; // an empty file sets nothing
  if (!isMap(root))
    throw new ConfigFileError(path, [
      `${path}:${lineOf(root.range?.[0])}: must be a mapping of setting names to values`,
    ]);
  const problems: string[] = [];
  for (const pair of root.items) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    const line = lineOf(isScalar(keyNode) ? keyNode.range?.[0] : undefined);
    if (typeof key !== 'string') {
      problems.push(`${path}:${line}: keys must be setting names`);
      continue;
    }
    if (key === 'CONFIG_FILE') {
      problems.push(`${path}:${line}: CONFIG_FILE is read from the environment only`);
      continue;
    }
    if (!known.has(key)) {
      problems.push(`${path}:${line}: unknown setting ${key}`);
      continue;
    }
    const value = (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null;
    lines[key] = line;
    if (value === null) continue;
    values[key] = asEnvironmentText(value);
  }
  if (problems.length > 0) throw new ConfigFileError(path, problems);
  return { path, values, lines };
}

/** A value as the environment variable of the same name would spell it. */
function asEnvironmentText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value) && value.every((item) => isPlain(item))) return value.join(',');
  return JSON.stringify(value);
}

function isPlain(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function firstLine(error: Error): string {
  return error.message.split('\n')[0] ?? error.message;
}
