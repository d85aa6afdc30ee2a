import { z } from 'zod';
import { ConfigFileError, type ConfigFileValues, readConfigFile } from './config-file.js';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

const port = z.coerce.number().int().min(0).max(65_535);

/** An on/off setting: true, false, 1, 0, yes, no. */
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/**
 * Every setting the gateway reads, from the environment, with its default. A bad value stops
 * start-up with the variable's name (see `loadConfig`).
 */
const SettingsSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8080),
  /** Folder of the embedded PGlite database, used when DATABASE_URL is not set. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** postgres://… switches the store from embedded PGlite to PostgreSQL. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** PostgreSQL schema of the gateway's tables (PGlite too). */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .refine((name) => !name.startsWith('pg_'), 'must not start with pg_')
    .default('a2a_gateway'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** How long start-up keeps retrying a PostgreSQL that does not accept connections yet. */
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(0).default(60_000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Base URL clients reach the gateway at (agent cards are built from it); default from HOST/PORT. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Folder of hosted agent definitions (one JSON file per agent). */
  AGENT_CARDS_DIR: z.string().min(1).default('./agent-cards'),
  /** Request bodies above this are refused before they are read. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  /** Requests one JSON-RPC batch may hold. */
  JSONRPC_MAX_BATCH: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Comment lines keep idle SSE streams open through proxies. */
  SSE_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
  /** Names this instance across restarts: recovery resumes only the runs it started itself. */
  INSTANCE_ID: z.string().min(1).max(100).optional(),
  /**
   * How deep a delegation chain through gateways may go: a task whose message has passed this
   * many gateway hops (or this gateway's same agent before: a loop) is rejected, saying why.
   */
  DELEGATION_MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(8),
  /** Names this gateway in delegation traces (default: PUBLIC_URL, else INSTANCE_ID or host). */
  GATEWAY_ID: z.string().min(1).max(200).optional(),
  /** Longest a read waits for the task view to catch up with writes before answering anyway. */
  READ_CONSISTENCY_TIMEOUT_MS: z.coerce.number().int().min(0).default(2_000),
  /**
   * How long an instance's lease on its runs lasts unrenewed: the longest the runs of an
   * instance that died wait before another instance takes them over.
   */
  RUN_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(15_000),
  /** How long a shutdown may wait for in-flight work before it gives up. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** A client must have sent its request line and headers within this. */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  /** ...and its whole request, body included, within this (0: no limit). Not the response:
   * blocking calls and SSE streams answer for as long as they need. */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** A kept-alive connection that sends no next request within this is closed. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  /** A connection with no bytes either way for this long is closed, unless its answer is being
   * worked on (a blocking call waiting for its task); 0: never. */
  HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /**
   * Issuers whose bearer JWTs are accepted: a JSON list, or `@path` of a JSON file. Each entry:
   * issuer, audience, jwksUrl or jwksFile, algorithms (public-key only), tenantClaim.
   */
  AUTH_ISSUERS: z.string().min(1).optional(),
  /** Accept API keys (made with `npm run cli -- keys add`). */
  AUTH_API_KEYS: flag.default(false),
  /** The header API keys come in. */
  API_KEY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .default('X-API-Key'),
  /** Tolerated clock difference when checking a token's exp and nbf. */
  AUTH_CLOCK_SKEW_S: z.coerce.number().int().min(0).max(300).default(30),
  /**
   * Serve without authentication on a non-loopback address. Without any authentication
   * configured the gateway otherwise serves on loopback only.
   */
  ALLOW_ANONYMOUS: flag.default(false),
  /** Only the principal that created a task may cancel it (the admin scope still may). */
  AUTH_OWNER_ONLY_CANCEL: flag.default(false),
  /** Calls each authenticated principal may make per second on average (0: no limit). */
  RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(100),
  /** ...and in one burst, above that average. */
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(200),
  /** Refusals (401, 403) recorded in the security audit per second at most; more are counted. */
  SECURITY_AUDIT_PER_SECOND: z.coerce.number().min(0.1).default(5),
  /** Run the built-in OAuth 2.0 authorization server (client credentials, JWKS, metadata). */
  AUTH_SERVER: flag.default(false),
  /** Lifetime of the access tokens it issues: how long a removed client's token still works. */
  AUTH_TOKEN_TTL_S: z.coerce.number().int().min(60).max(86_400).default(600),
  /** `aud` of the tokens it issues, which the gateway then requires. */
  AUTH_AUDIENCE: z.string().min(1).default('a2a-gateway'),
  /** A PEM PKCS#8 or JWK private key to sign with, instead of the keys kept in the database. */
  SIGNING_KEY_FILE: z.string().min(1).optional(),
  /** Algorithm of the signing keys the gateway generates (the first, and each rotation). */
  SIGNING_KEY_ALG: z.enum(['ES256', 'EdDSA']).default('ES256'),
  /**
   * Deliver push notifications to webhooks (§3.5.3): cards say `pushNotifications: true` and
   * the push config methods are served; off, they answer PUSH_NOTIFICATION_NOT_SUPPORTED.
   */
  PUSH_NOTIFICATIONS: flag.default(true),
  /**
   * Webhook hosts exempt from the address rules (loopback, private, link-local addresses are
   * otherwise refused): comma-separated `host` (any port) or `host:port` (that port only),
   * matched exactly (IPv6 in brackets: `[::1]:9000`).
   */
  PUSH_ALLOW_HOSTS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim().toLowerCase())
        .filter(Boolean),
    ),
  /** A webhook must accept the connection within this... */
  PUSH_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** ...and answer, headers and body, within this (§4.3.3 recommends 10–30 s). */
  PUSH_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Tries per notification before it is dead-lettered (5xx, 408, 429, timeouts, refusals). */
  PUSH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  /** First retry delay; each next one doubles, with full jitter, up to PUSH_RETRY_MAX_MS. */
  PUSH_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1_000),
  PUSH_RETRY_MAX_MS: z.coerce.number().int().min(1).default(300_000),
  /** Lifetime of the JWT each notification carries (`exp` − `iat`). */
  PUSH_JWT_TTL_S: z.coerce.number().int().min(10).max(3_600).default(300),
  /**
   * What carries the bus's messages (push deliveries): `database`, a queue in the store's own
   * database (PGlite or PostgreSQL: durable, no other service); `memory` (in-process, lost
   * on exit); `redis`, `nats`, `amqp` (their URL below); `composite` (BUS_ROUTES).
   */
  BUS: z.enum(['database', 'memory', 'redis', 'nats', 'amqp', 'composite']).default('database'),
  /**
   * With BUS=composite, which adapter carries which topics: JSON
   * `{"strategy":"first-match"|"fan-out","routes":[{"topics":["push.*"],"tenants":["acme"],"adapter":"redis"}],"default":"database"}`.
   */
  BUS_ROUTES: z.string().min(1).optional(),
  /** Names the bus's queues, streams and exchanges: instances of one gateway share it. */
  BUS_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/)
    .default('a2a-gateway'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** One or more NATS servers, comma-separated: nats://127.0.0.1:4222. */
  NATS_URL: z.string().min(1).optional(),
  AMQP_URL: z.url({ protocol: /^amqps?$/ }).optional(),

  // ── Dashboard ──
  /**
   * The web dashboard at `/ui`: static files with no data, which read the authenticated APIs
   * with a credential the user enters; false: `/ui` is not served.
   */
  UI: flag.default(true),
  // --- Tracing (OpenTelemetry): off unless an OTLP endpoint is set ---
  /** OTLP/HTTP base URL; spans go to `<url>/v1/traces`. Unset (and no traces URL): no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** OTLP/HTTP traces URL, used as given; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** `service.name` of the spans. */
  OTEL_SERVICE_NAME: z.string().min(1).default('a2a-gateway'),
  /**
   * Fraction of new traces recorded (0 to 1); a request with a `traceparent` keeps its
   * caller's decision (parent-based ratio sampler).
   */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
  // --- Observability: metrics, CORS, readiness -------------------------------------------
  /** Serve Prometheus metrics at `GET /metrics`. */
  METRICS: flag.default(true),
  /**
   * With authentication on, `/metrics` needs the admin scope; true serves it to anyone who
   * reaches the port (keep the port private then, or scrape through a proxy).
   */
  METRICS_PUBLIC: flag.default(false),
  /**
   * Browser origins allowed to call the gateway (CORS): a comma-separated list of origins
   * (`https://app.example.com`), or `*` for any. Empty: CORS off, preflights get 404.
   */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value): '*' | string[] =>
      value.trim() === '*'
        ? '*'
        : value
            .split(',')
            .map((entry) => entry.trim().replace(/\/+$/, ''))
            .filter(Boolean),
    ),
  /** `/readyz` fails while the task view is more than this many events behind the store. */
  READY_MAX_LAG_EVENTS: z.coerce.number().int().min(0).max(100_000).default(1_000),
  // --- Configuration file and connection limits (config loader, hardening) ---
  /**
   * A YAML or JSON file (by extension) of settings under these same names; the environment
   * overrides it. Read from the environment only.
   */
  CONFIG_FILE: z.string().min(1).optional(),
  /**
   * SSE streams open at once (SendStreamingMessage, SubscribeToTask, the audit stream); one
   * more is refused with HTTP 503 and Retry-After, before it starts anything.
   */
  MAX_SSE_STREAMS: z.coerce.number().int().min(1).max(1_000_000).default(5_000),
  /** TCP connections the HTTP server holds at once; more are closed as they arrive (0: no limit). */
  MAX_CONNECTIONS: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  // --- Privacy and retention (README: "Privacy and retention") ---
  /**
   * Encrypt personal data (the fields each event type declares sensitive: message and
   * artifact content, metadata) at rest under a data key per tenant, so deleting a tenant's
   * key (`privacy shred`) erases it. Needs ENCRYPTION_MASTER_KEY. Once on, keep it on: events
   * written meanwhile cannot be read without it.
   */
  PII_ENCRYPTION: flag.default(false),
  /** Wraps the tenant data keys: 32 bytes in base64, or `@/path/to/file` holding them. */
  ENCRYPTION_MASTER_KEY: z.string().min(1).optional(),
  /**
   * What `retention run` archives and deletes: JSON list of
   * `{"streams":"task-*","tenant":"acme","types":["task.submitted"],"olderThanDays":90}`.
   */
  RETENTION_POLICIES: z.string().min(1).default('[]'),
  /** Folder of the retention archives (gzip NDJSON, one file per stream). */
  RETENTION_ARCHIVE_DIR: z.string().min(1).default('./archive'),
});

/** A `PUSH_ALLOW_HOSTS` entry: a name or address, IPv6 in brackets, and an optional port. */
const ALLOWED_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/** A browser origin as sent in `Origin`: scheme, host, optional port, nothing more. */
const ORIGIN =
  /^[a-z][a-z0-9+.-]*:\/\/(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The settings, with the rules that tie some of them together. */
export const ConfigSchema = SettingsSchema.superRefine((config, ctx) => {
  const { HTTP_HEADERS_TIMEOUT_MS: headers, HTTP_REQUEST_TIMEOUT_MS: request } = config;
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (request > 0 && headers > request)
    ctx.addIssue({
      code: 'custom',
      path: ['HTTP_HEADERS_TIMEOUT_MS'],
      message: `must not exceed HTTP_REQUEST_TIMEOUT_MS (${request})`,
    });
  for (const [adapter, variable] of [
    ['redis', 'REDIS_URL'],
    ['nats', 'NATS_URL'],
    ['amqp', 'AMQP_URL'],
  ] as const) {
    if (config.BUS === adapter && !config[variable])
      ctx.addIssue({
        code: 'custom',
        path: [variable],
        message: `BUS=${adapter} needs ${variable}`,
      });
  }
  if (config.BUS === 'composite' && !config.BUS_ROUTES)
    ctx.addIssue({
      code: 'custom',
      path: ['BUS_ROUTES'],
      message: 'BUS=composite needs BUS_ROUTES',
    });
  if (config.PII_ENCRYPTION && !config.ENCRYPTION_MASTER_KEY)
    ctx.addIssue({
      code: 'custom',
      path: ['ENCRYPTION_MASTER_KEY'],
      message: 'PII_ENCRYPTION=true needs ENCRYPTION_MASTER_KEY (openssl rand -base64 32)',
    });
  if (config.PUSH_RETRY_BASE_MS > config.PUSH_RETRY_MAX_MS)
    ctx.addIssue({
      code: 'custom',
      path: ['PUSH_RETRY_BASE_MS'],
      message: `must not exceed PUSH_RETRY_MAX_MS (${config.PUSH_RETRY_MAX_MS})`,
    });
  for (const entry of config.PUSH_ALLOW_HOSTS)
    if (!ALLOWED_HOST.test(entry))
      ctx.addIssue({
        code: 'custom',
        path: ['PUSH_ALLOW_HOSTS'],
        message: `${entry} is not a host or host:port (IPv6 in brackets)`,
      });
  if (config.CORS_ORIGINS !== '*')
    for (const origin of config.CORS_ORIGINS)
      if (!ORIGIN.test(origin))
        ctx.addIssue({
          code: 'custom',
          path: ['CORS_ORIGINS'],
          message: `${origin} is not an origin (scheme://host[:port], or * alone)`,
        });
  // Heartbeats are what keep a quiet SSE stream from looking idle.
  const { HTTP_IDLE_TIMEOUT_MS: idle, SSE_HEARTBEAT_MS: heartbeat } = config;
  if (idle > 0 && idle <= heartbeat)
    ctx.addIssue({
      code: 'custom',
      path: ['HTTP_IDLE_TIMEOUT_MS'],
      message: `must exceed SSE_HEARTBEAT_MS (${heartbeat}), or quiet SSE streams are cut`,
    });
});
export type Config = z.infer<typeof ConfigSchema>;
export type LogLevel = Config['LOG_LEVEL'];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the configuration from `env` (and its CONFIG_FILE); empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfigWithSources(env).config;
}

/** Where each setting came from: its default, the environment, or a line of the config file. */
export type SettingSource =
  | { from: 'default' }
  | { from: 'env' }
  | { from: 'file'; path: string; line: number };

/**
 * The configuration and where each setting came from. The file gives what the environment
 * does not: a variable set (non-empty) in the environment always wins. A bad value is named
 * with its source (`from env`, `from config.yaml:12`).
 */
export function loadConfigWithSources(env: Record<string, string | undefined> = process.env): {
  config: Config;
  sources: Record<string, SettingSource>;
} {
  const keys = Object.keys(ConfigSchema.shape);
  const fromEnv = Object.fromEntries(
    keys
      .map((key) => [key, env[key]] as const)
      .filter(
        (entry): entry is readonly [string, string] => entry[1] !== undefined && entry[1] !== '',
      ),
  );
  let file: ConfigFileValues | undefined;
  try {
    file = fromEnv.CONFIG_FILE ? readConfigFile(fromEnv.CONFIG_FILE, new Set(keys)) : undefined;
  } catch (error) {
    if (error instanceof ConfigFileError) throw new ConfigError(error.problems);
    throw error;
  }
  const sources: Record<string, SettingSource> = {};
  for (const key of keys) {
    if (key in fromEnv) sources[key] = { from: 'env' };
    else if (file && key in file.values)
      sources[key] = { from: 'file', path: file.path, line: file.lines[key]! };
    else sources[key] = { from: 'default' };
  }
  const parsed = ConfigSchema.safeParse({ ...file?.values, ...fromEnv });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '');
        return `${issue.path.join('.')}: ${issue.message}${describeSource(sources[key])}`;
      }),
    );
  }
  return { config: parsed.data, sources };
}

function describeSource(source: SettingSource | undefined): string {
  if (!source || source.from === 'default') return '';
  return source.from === 'env' ? ' (from env)' : ` (from ${source.path}:${source.line})`;
}
