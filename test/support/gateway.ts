import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ConfigSchema, loadConfig } from '../../src/config/index.js';
import { type Gateway, type GatewayOptions, startGateway } from '../../src/gateway.js';
import { createLogger, type Logger } from '../../src/observability/index.js';
import { DATABASE_URL, uniqueSchema } from './services.js';

export const FIXTURE_AGENTS = fileURLToPath(new URL('../fixtures/agent-cards/', import.meta.url));

export interface TestGateway {
  url: string;
  gateway: Gateway;
  /** Environment the gateway was started with (to start another on the same store). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A real gateway on an ephemeral port: embedded PGlite in a fresh folder, or PostgreSQL in a
 * fresh schema. Agents come from test/fixtures/agent-cards.
 */
export async function startTestGateway(
  options: {
    database?: 'pglite' | 'postgres';
    env?: Record<string, string>;
    /** Passed to `startGateway` (an in-memory span exporter, for the tracing tests). */
    gateway?: GatewayOptions;
    logger?: Logger;
  } = {},
): Promise<TestGateway> {
  const folder = await mkdtemp(join(tmpdir(), 'gateway-test-'));
  const schema = uniqueSchema('gw');
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: folder,
    DATABASE_SCHEMA: schema,
    AGENT_CARDS_DIR: FIXTURE_AGENTS,
    SSE_HEARTBEAT_MS: '500',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...(options.database === 'postgres' ? { DATABASE_URL: DATABASE_URL! } : {}),
    ...options.env,
  };
  const removeWhatWasMade = async () => {
    await rm(folder, { recursive: true, force: true });
    if (env.DATABASE_URL) await dropSchema(env.DATABASE_URL, env.DATABASE_SCHEMA!);
  };
  const gateway = await startGateway(
    loadConfig(env),
    options.logger ?? createLogger({ level: 'silent' }),
    options.gateway,
  ).catch(async (error: unknown) => {
    // A start a test expects to fail (bad settings, a locked folder) leaves nothing behind.
    await removeWhatWasMade();
    throw error;
  });
  return {
    url: gateway.url,
    gateway,
    env,
    async stop() {
      // What the test created goes even when the gateway fails to stop cleanly.
      try {
        await gateway.stop();
      } finally {
        await removeWhatWasMade();
      }
    },
  };
}

/**
 * A real gateway whose agents are `files` (file name without `.json` → its content), written
 * into a fresh folder that goes when the gateway stops.
 */
export async function startGatewayWithAgents(
  files: Record<string, unknown>,
  options: { env?: Record<string, string>; gateway?: GatewayOptions; logger?: Logger } = {},
): Promise<TestGateway> {
  const folder = await mkdtemp(join(tmpdir(), 'gateway-agents-'));
  let started: TestGateway;
  try {
    for (const [name, content] of Object.entries(files)) {
      await writeFile(join(folder, `${name}.json`), JSON.stringify(content, null, 2));
    }
    started = await startTestGateway({
      env: { AGENT_CARDS_DIR: folder, ...options.env },
      ...(options.gateway ? { gateway: options.gateway } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  return {
    ...started,
    async stop() {
      try {
        await started.stop();
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    },
  };
}

export async function dropSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/**
 * The environment for a child process (a gateway, the CLI): the test's own without any gateway
 * setting, plus `env`. A child then uses only the store its test names: with DATABASE_URL
 * exported for the PostgreSQL suites, a PGlite test's child would otherwise run on PostgreSQL
 * and leave its schema behind.
 */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([key]) => !(key in ConfigSchema.shape));
  return { ...Object.fromEntries(inherited), ...env };
}

// biome-ignore lint/suspicious/noExplicitAny: responses under test are read field by field.
export type JsonBody = any;

/** A raw JSON-RPC call over HTTP: for what the SDK client cannot send. */
export async function rpc(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: JsonBody }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'a2a-version': '1.0', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

let counter = 0;
export function userMessage(text: string, extra: Record<string, unknown> = {}) {
  counter += 1;
  return {
    messageId: `m-${Date.now().toString(36)}-${counter}`,
    role: 'ROLE_USER',
    parts: [{ text }],
    ...extra,
  };
}
