import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../../src/config/index.js';
import { type Gateway, startGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/index.js';
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
  options: { database?: 'pglite' | 'postgres'; env?: Record<string, string> } = {},
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
  const gateway = await startGateway(loadConfig(env), createLogger({ level: 'silent' }));
  return {
    url: gateway.url,
    gateway,
    env,
    async stop() {
      await gateway.stop();
      await rm(folder, { recursive: true, force: true });
      if (env.DATABASE_URL) {
        const client = new pg.Client({ connectionString: env.DATABASE_URL });
        await client.connect();
        await client.query(`drop schema if exists ${env.DATABASE_SCHEMA} cascade`);
        await client.end();
      }
    },
  };
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
