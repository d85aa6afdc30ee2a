/**
 * What never reaches a log line. Keys are matched by name at the top of a line's fields and
 * up to two objects down (`headers.authorization`, `request.headers.cookie`): pino's redaction
 * works on paths, and deeper wildcards cost every line more than they are worth.
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

/** Pino redaction paths for `extraKeys` (e.g. the configured API key header) and ours. */
export function redactionPaths(extraKeys: readonly string[] = []): string[] {
  const keys = new Set([...SECRET_KEYS, ...URL_KEYS, ...extraKeys.map((k) => k.toLowerCase())]);
  const paths: string[] = [];
  for (const key of keys) {
    const step = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
    const top = step.startsWith('.') ? key : step;
    paths.push(top, `*${step}`, `*.*${step}`);
  }
  return paths;
}

/** The censor: URLs keep everything but their password; anything else is replaced whole. */
export function censor(value: unknown, path: string[]): unknown {
  const key = path[path.length - 1] ?? '';
  if (URL_KEYS.includes(key) && typeof value === 'string') return maskUrlPasswords(value);
  return REDACTED;
}

const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi;

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, anywhere in a text. */
export function maskUrlPasswords(text: string): string {
  if (!text.includes('://') || !text.includes('@')) return text;
  return text.replace(URL_PASSWORD, '$1***@');
}
