/**
 * What never reaches a log line. Pino's redaction censors these keys at the top of a line
 * (its wildcard paths cost a hundred times a plain line, so none are used); nested objects,
 * up to four levels down (`headers.authorization`, `request.body.password`), are scrubbed by
 * `scrub` on the way in, matching key names without regard to case.
 */
const SECRET_KEYS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'apiKey',
  'api_key',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'clientSecret',
  'client_secret',
  'password',
  'passphrase',
  'secret',
  'privateKey',
  'private_key',
  'credentials',
] as const;

/** Keys that hold a connection URL: only its password goes, the host stays readable. */
const URL_KEYS = ['DATABASE_URL', 'databaseUrl', 'connectionString', 'REDIS_URL', 'AMQP_URL'];

export const REDACTED = '[redacted]';

/** Which keys are secret, given more (e.g. the configured API key header). */
export interface SecretKeys {
  /** Pino redaction paths: each key at the top of a line. */
  paths: string[];
  secret(key: string): boolean;
  url(key: string): boolean;
}

export function secretKeys(extraKeys: readonly string[] = []): SecretKeys {
  const secrets = new Set([...SECRET_KEYS, ...extraKeys].map((key) => key.toLowerCase()));
  const urls = new Set(URL_KEYS.map((key) => key.toLowerCase()));
  const paths = [
    ...new Set([...SECRET_KEYS, ...extraKeys.map((k) => k.toLowerCase()), ...URL_KEYS]),
  ].map((key) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`));
  return {
    paths,
    secret: (key) => secrets.has(key.toLowerCase()),
    url: (key) => urls.has(key.toLowerCase()),
  };
}

/** The censor: URLs keep everything but their password; anything else is replaced whole. */
export function censor(value: unknown, path: readonly string[]): unknown {
  const key = path[path.length - 1] ?? '';
  if (URL_KEYS.includes(key) && typeof value === 'string') return maskUrlPasswords(value);
  return REDACTED;
}

/** Levels below a line's top that are scrubbed (the top is 0). */
const MAX_DEPTH = 4;

/**
 * `value` with secrets below its top level censored and passwords taken out of URLs in
 * strings; objects are copied only when they are plain (a Date, a Buffer stay as they are).
 */
export function scrub(value: unknown, keys: SecretKeys, depth = 1): unknown {
  if (typeof value === 'string') return maskUrlPasswords(value);
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, keys, depth + 1));
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = keys.url(key)
      ? typeof item === 'string'
        ? maskUrlPasswords(item)
        : REDACTED
      : keys.secret(key)
        ? REDACTED
        : scrub(item, keys, depth + 1);
  }
  return out;
}

const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, anywhere in a text. */
export function maskUrlPasswords(text: string): string {
  if (!text.includes('://') || !text.includes('@')) return text;
  return text.replace(URL_PASSWORD, '$1***@');
}
