import { readFile } from 'node:fs/promises';
import {
  type ApiKeyStore,
  type Authenticator,
  apiKeysChannel,
  createApiKeyVerifier,
  createAuthenticator,
  createJwtVerifier,
  createSqlApiKeyStore,
  type IssuerConfig,
  IssuersConfigSchema,
  type TrustedIssuer,
  trustedIssuers,
} from './auth/index.js';
import { type Config, ConfigError } from './config/index.js';
import type { Logger } from './observability/index.js';
import type { SqlClient } from './store/index.js';

/** Whether any authentication is configured (decided before the database is opened). */
export function authConfigured(config: Config): boolean {
  return config.AUTH_ISSUERS !== undefined || config.AUTH_API_KEYS || config.AUTH_SERVER;
}

/**
 * The built-in authorization server's issuer: the `iss` of every token it signs, so it must
 * not change between starts. PUBLIC_URL, or the fixed address the gateway binds.
 */
export function authServerIssuer(config: Config): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL;
  if (config.PORT === 0 || config.HOST === '0.0.0.0' || config.HOST === '::') {
    throw new ConfigError([
      'AUTH_SERVER: the token issuer needs a stable URL: set PUBLIC_URL (or a fixed PORT and a ' +
        'HOST other than a wildcard address)',
    ]);
  }
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${config.PORT}`;
}

/**
 * Refuses to serve anonymously beyond this machine: with no authentication configured, only
 * a loopback address, unless ALLOW_ANONYMOUS says otherwise.
 */
export function assertSafeExposure(config: Config, logger: Logger): void {
  if (authConfigured(config)) return;
  if (!isLoopback(config.HOST) && !config.ALLOW_ANONYMOUS) {
    throw new ConfigError([
      `HOST: ${config.HOST} is reachable from other machines and no authentication is ` +
        'configured; set AUTH_ISSUERS, AUTH_API_KEYS=true or AUTH_SERVER=true, or ' +
        'ALLOW_ANONYMOUS=true to serve anyone who can reach the port',
    ]);
  }
  logger.warn(
    isLoopback(config.HOST)
      ? 'no authentication configured: every caller is anonymous (serving on loopback only)'
      : 'no authentication configured and ALLOW_ANONYMOUS=true: anyone who reaches the port may call',
  );
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** `AUTH_ISSUERS`: inline JSON, or `@path` of a JSON file. */
export async function issuerConfigs(setting: string): Promise<IssuerConfig[]> {
  const source = setting.startsWith('@') ? setting.slice(1) : undefined;
  let json: unknown;
  try {
    json = JSON.parse(source ? await readFile(source, 'utf8') : setting);
  } catch (error) {
    throw new ConfigError([`AUTH_ISSUERS: ${(error as Error).message}`]);
  }
  const parsed = IssuersConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `AUTH_ISSUERS.${issue.path.join('.')}: ${issue.message}`),
    );
  }
  return parsed.data;
}

/**
 * The authenticator the configuration asks for. API keys live beside the events; a
 * revocation in any process reaches every instance by NOTIFY, so it takes effect at once.
 */
export async function createGatewayAuthenticator(
  config: Config,
  views: SqlClient,
  configured: readonly IssuerConfig[],
  extraIssuers: readonly TrustedIssuer[] = [],
): Promise<{ authenticator: Authenticator; apiKeys?: ApiKeyStore; close(): Promise<void> }> {
  const issuers = [...(await trustedIssuers(configured)), ...extraIssuers];
  const jwt =
    issuers.length > 0
      ? createJwtVerifier(issuers, { clockSkewS: config.AUTH_CLOCK_SKEW_S })
      : undefined;
  let stopListening = async () => {};
  let apiKeys: { verifier: ReturnType<typeof createApiKeyVerifier>; header: string } | undefined;
  let store: ApiKeyStore | undefined;
  if (config.AUTH_API_KEYS) {
    store = await createSqlApiKeyStore(views, config.DATABASE_SCHEMA);
    const verifier = createApiKeyVerifier(store);
    // An empty payload follows a lost connection: anything may have been missed.
    stopListening = await views.listen(apiKeysChannel(config.DATABASE_SCHEMA), (id) =>
      verifier.forget(id || undefined),
    );
    apiKeys = { verifier, header: config.API_KEY_HEADER };
  }
  return {
    authenticator: createAuthenticator({
      ...(jwt ? { jwt } : {}),
      ...(apiKeys ? { apiKeys } : {}),
    }),
    ...(store ? { apiKeys: store } : {}),
    close: () => stopListening(),
  };
}
