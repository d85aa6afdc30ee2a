import type { z } from 'zod';
import { type Config, ConfigSchema, type SettingSource } from './config.js';

// Masking goes by rule, not by a list: settings are added all the time, and a new secret must
// not reach the logs because nobody remembered to list it.

/** Names of settings that may hold a secret... */
const SECRET_NAME =
  /SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE|(^|_)KEYS?(_|$)|(^|_)HEADERS$/;
/** ...unless they name where one is or how it is used (a file, a header's name). */
const NOT_A_SECRET = /_(FILE|PATH|DIR|HEADER|ALG|ALGORITHM|ID)$/;

const MASK = '***';

/**
 * Whether `key`'s value is a secret: its name says it may be one, and it holds text that is
 * not one of a fixed set of choices. Numbers, flags and enums (`AUTH_TOKEN_TTL_S`,
 * `AUTH_API_KEYS`, `SIGNING_KEY_ALG`) are settings about secrets, not secrets.
 */
export function isSecretSetting(key: string, value: unknown): boolean {
  if (!SECRET_NAME.test(key) || NOT_A_SECRET.test(key)) return false;
  if (value === undefined || typeof value === 'number' || typeof value === 'boolean') return false;
  return !isEnum(ConfigSchema.shape[key as keyof Config]);
}

/**
 * `text` with every URL's password (`scheme://user:password@host`) and every secret-named
 * query parameter (`?token=…`) masked: URLs alone, in lists and inside JSON alike.
 */
export function maskCredentials(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/"',]*):([^\s@/"',]*)@/gi, `$1:${MASK}@`)
    .replace(
      /([?&][^=&\s"']*(?:secret|token|password|passwd|key|credential|auth)[^=&\s"']*=)[^&\s"',]*/gi,
      `$1${MASK}`,
    );
}

/** One setting as the summary shows it: its value (masked), then where it came from. */
export function describeSetting(key: string, value: unknown, source: SettingSource): string {
  if (value === undefined) return '(unset)';
  const shown = isSecretSetting(key, value) ? MASK : truncate(maskCredentials(asText(value)));
  const from = source.from === 'file' ? `file ${source.path}:${source.line}` : source.from;
  return `${shown} (${from})`;
}

/**
 * Every setting, its value and its source, secrets masked: logged once at start-up, so what
 * an instance runs with is in its logs.
 */
export function summarizeConfig(
  config: Config,
  sources: Record<string, SettingSource>,
): Record<string, string> {
  return Object.fromEntries(
    Object.keys(ConfigSchema.shape).map((key) => [
      key,
      describeSetting(key, config[key as keyof Config], sources[key] ?? { from: 'default' }),
    ]),
  );
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object'))
    return value.length === 0 ? '(none)' : value.join(',');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function truncate(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Whether a setting's schema is a choice among fixed values, under its default or optional. */
function isEnum(schema: z.ZodType | undefined): boolean {
  let current = schema as
    | { def?: { type?: string; innerType?: z.ZodType; in?: z.ZodType } }
    | undefined;
  for (let depth = 0; current?.def && depth < 5; depth += 1) {
    const { type } = current.def;
    if (type === 'enum' || type === 'literal') return true;
    current = (current.def.innerType ?? current.def.in) as typeof current;
  }
  return false;
}
