import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  type AuthorizationServer,
  type AuthorizationServerOptions,
  createAuthorizationServer,
} from '../../src/auth/index.js';
import { mountOAuthRoutes } from '../../src/http/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createPgClient, createPgliteClient, type SqlClient } from '../../src/store/index.js';
import { DATABASE_URL, type GatewayDatabase, uniqueSchema } from '../support/services.js';

/**
 * One client per suite (an in-memory PGlite, or a PostgreSQL pool), a fresh schema per test,
 * dropped after it. Call inside a `describeEachDatabase` body.
 */
export function useDatabase(database: GatewayDatabase): {
  client: () => SqlClient;
  schema: () => string;
} {
  let client: SqlClient;
  let schema = '';
  beforeAll(async () => {
    client =
      database === 'pglite'
        ? createPgliteClient(await PGlite.create(), { owned: true })
        : createPgClient({ connectionString: DATABASE_URL!, max: 4 });
  });
  afterAll(async () => {
    await client?.close();
  });
  afterEach(async () => {
    if (schema) await client.query({ text: `drop schema if exists ${schema} cascade`, values: [] });
    schema = '';
  });
  return {
    client: () => client,
    schema: () => {
      schema ||= uniqueSchema('oauth');
      return schema;
    },
  };
}

export interface ServedAuthorizationServer {
  url: string;
  server: AuthorizationServer;
  close(): Promise<void>;
}

/** The routes over real HTTP on 127.0.0.1, issuer = the URL they answer at. */
export async function serveAuthorizationServer(
  options: Omit<AuthorizationServerOptions, 'issuer' | 'audience' | 'tokenTtlS'> &
    Partial<Pick<AuthorizationServerOptions, 'audience' | 'tokenTtlS'>>,
): Promise<ServedAuthorizationServer> {
  const app = new Hono();
  const { http, port } = await new Promise<{ http: ReturnType<typeof serve>; port: number }>(
    (resolve) => {
      const http = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
        resolve({ http, port: (info as AddressInfo).port }),
      );
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const server = await createAuthorizationServer({
    audience: 'a2a-gateway',
    tokenTtlS: 600,
    ...options,
    issuer: url,
  });
  mountOAuthRoutes(app, { server, logger: createLogger({ level: 'silent' }) });
  return {
    url,
    server,
    close: () =>
      new Promise<void>((done) => {
        http.close(() => done());
        (http as import('node:http').Server).closeAllConnections();
      }),
  };
}

/** POST /oauth/token with a form; the JSON answer, status and headers. */
export async function requestToken(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** RFC 6749 §2.3.1: each part form-urlencoded, then joined and base64-encoded. */
export function basic(clientId: string, secret: string): Record<string, string> {
  const encode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
  const pair = `${encode(clientId)}:${encode(secret)}`;
  return { authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
}
