import pino, { type Logger as PinoLogger } from 'pino';
import { censor, maskUrlPasswords, type SecretKeys, scrub, secretKeys } from './redaction.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
type Fields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  child(fields: Fields): Logger;
  /** Whether lines of `level` are written: lets a hot path skip preparing them. */
  enabled?(level: Exclude<LogLevel, 'silent'>): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where each line goes, without its newline (default: stdout). */
  write?: (line: string) => void;
  /** Fields every line carries. */
  fields?: Fields;
  /** More field names to redact, e.g. the configured API key header. */
  redact?: readonly string[];
}

/**
 * One JSON object per line on stdout (pino): what log shippers read without configuration.
 * The shape is `{"level":"info","time":"<ISO 8601>", ...fields, "message":"..."}`; secrets
 * (credentials, tokens, keys, passwords in URLs) are redacted, see redaction.ts.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { write } = options;
  const keys = secretKeys(options.redact);
  const destination = write
    ? { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) }
    : // Synchronous: the last lines before `process.exit` are not lost.
      pino.destination({ dest: 1, sync: true });
  const root = pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      // No pid and hostname on every line: the gateway names its instance where it matters.
      base: null,
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: keys.paths, censor },
    },
    destination,
  );
  return wrap(options.fields ? root.child(serialise(options.fields, keys)) : root, keys);
}

function wrap(logger: PinoLogger, keys: SecretKeys): Logger {
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Fields) => {
      // Fields are prepared only for lines that are written.
      if (!logger.isLevelEnabled(level)) return;
      if (fields) logger[level](serialise(fields, keys), message);
      else logger[level](message);
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => wrap(logger.child(serialise(fields, keys)), keys),
    enabled: (level) => logger.isLevelEnabled(level),
  };
}

/**
 * Errors do not survive JSON.stringify; keep what helps an operator, including the cause.
 * Secrets and passwords in URLs go here (see redaction.ts); pino's redaction censors the
 * top level's secret keys again as they are written.
 */
function serialise(fields: Fields, keys: SecretKeys): Fields {
  const out: Fields = {};
  // Scrubbed as one object: top-level keys in any case too (pino's paths match exact case).
  const scrubbed = scrub(fields, keys, 0) as Fields;
  for (const [key, value] of Object.entries(fields))
    out[key] = value instanceof Error ? describeError(value) : scrubbed[key];
  return out;
}

function describeError(error: Error): Fields {
  return {
    name: error.name,
    message: maskUrlPasswords(error.message),
    ...('code' in error ? { code: error.code } : {}),
    ...(error.stack ? { stack: maskUrlPasswords(error.stack) } : {}),
    ...(error.cause instanceof Error ? { cause: describeError(error.cause) } : {}),
  };
}
