import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentCard as SdkAgentCard, verifyAgentCardSignature } from '@a2a-js/sdk';
import { decodeProtectedHeader, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSqlOAuthClients } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/index.js';
import { openEventStore } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/index.js';
import { rpc, startTestGateway, type TestGateway, userMessage } from '../support/gateway.js';
import { freePort } from '../support/process.js';

/**
 * The self-contained deployment: the gateway issues its own tokens (client credentials),
 * accepts them, announces the scheme on its cards and signs the cards with the same keys.
 */
describe('the built-in authorization server, end to end', () => {
  let folder: string;
  let gateway: TestGateway;
  let secret: string;
  let adminSecret: string;
  const schema = 'builtin_as';

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'builtin-as-'));
    // A client registered before the gateway starts (the embedded store is then its own).
    const env = {
      DATA_DIR: folder,
      DATABASE_SCHEMA: schema,
      DATABASE_URL: '',
      LOG_LEVEL: 'silent',
    };
    const { views, close } = await openEventStore(
      loadConfig(env),
      createLogger({ level: 'silent' }),
    );
    try {
      const clients = await createSqlOAuthClients(views, schema);
      secret = (
        await clients.add({ clientId: 'robot', tenant: 'acme', scopes: ['a2a:send', 'a2a:read'] })
      ).secret!;
      adminSecret = (await clients.add({ clientId: 'ops', tenant: '', scopes: ['a2a:admin'] }))
        .secret!;
    } finally {
      await close();
    }
    gateway = await startTestGateway({
      env: {
        DATA_DIR: folder,
        DATABASE_SCHEMA: schema,
        AUTH_SERVER: 'true',
        PORT: String(await freePort()),
      },
    });
    vi.spyOn(console, 'debug').mockImplementation(() => {});
  }, 120_000);
  afterAll(async () => {
    await gateway?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  const token = async (scope?: string, client = 'robot', password = secret) => {
    const response = await fetch(`${gateway.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client}:${password}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };

  it('issues a token that the gateway accepts, bound to the client tenant and scopes', async () => {
    const issued = await token();
    expect(issued.status).toBe(200);
    expect(issued.body.token_type).toBe('Bearer');
    const headers = { authorization: `Bearer ${issued.body.access_token}` };
    const sent = await rpc(
      `${gateway.url}/agents/echo`,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendMessage',
        params: { message: userMessage('own token') },
      },
      headers,
    );
    expect(sent.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    const audit = await fetch(`${gateway.url}/tasks/${sent.body.result.task.id}/events`, {
      headers,
    });
    const { events } = (await audit.json()) as { events: { principal: string; tenant: string }[] };
    expect(events[0]).toMatchObject({ principal: 'robot', tenant: 'acme' });
    // Not granted a2a:cancel.
    const cancel = await rpc(
      `${gateway.url}/agents/echo`,
      { jsonrpc: '2.0', id: 2, method: 'CancelTask', params: { id: sent.body.result.task.id } },
      headers,
    );
    expect(cancel.status).toBe(403);
    expect((await token('a2a:cancel')).body.error).toBe('invalid_scope');
  });

  it('the card declares OAuth client credentials with the token URL, bearer, and requirements', async () => {
    const card = (await (await fetch(`${gateway.url}/.well-known/agent-card.json`)).json()) as {
      securitySchemes: Record<string, unknown>;
      securityRequirements: unknown[];
    };
    expect(card.securitySchemes.oauth2).toMatchObject({
      oauth2SecurityScheme: {
        flows: { clientCredentials: { tokenUrl: `${gateway.url}/oauth/token` } },
      },
    });
    expect(card.securitySchemes.bearer).toMatchObject({
      httpAuthSecurityScheme: { scheme: 'Bearer' },
    });
    expect(card.securitySchemes.apiKey).toBeUndefined();
    expect(card.securityRequirements.length).toBe(2);
  });

  it('cards are signed with the published key: the official verifier accepts them, a change breaks them', async () => {
    const card = (await (
      await fetch(`${gateway.url}/.well-known/agent-card.json`)
    ).json()) as SdkAgentCard & {
      signatures: { protected: string }[];
    };
    expect(card.signatures.length).toBe(1);
    const header = decodeProtectedHeader({
      protected: card.signatures[0]!.protected,
      signature: '',
    } as never);
    expect(header.jku).toBe(`${gateway.url}/.well-known/jwks.json`);
    const keys = (await (await fetch(header.jku!)).json()) as { keys: JWK[] };
    expect(keys.keys.map((key) => key.kid)).toContain(header.kid);
    const verify = verifyAgentCardSignature(async (kid) => {
      const jwk = keys.keys.find((key) => key.kid === kid);
      if (!jwk) throw new Error(`no key ${kid}`);
      return jwk;
    });
    await expect(verify(card)).resolves.toBeUndefined();
    await expect(verify({ ...card, name: `${card.name} (forged)` })).rejects.toThrow();
  });

  it('a refused client authentication is a security audit event, the secret nowhere in it', async () => {
    const refused = await token(undefined, 'robot', 'wrong-secret');
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('invalid_client');
    const admin = await token(undefined, 'ops', adminSecret);
    const response = await fetch(`${gateway.url}/audit/security`, {
      headers: { authorization: `Bearer ${admin.body.access_token}` },
    });
    const body = (await response.json()) as { events: { principal: string; reason: string }[] };
    expect(response.status, JSON.stringify({ admin: admin.body, body })).toBe(200);
    const { events } = body;
    const entry = events.find((event) => event.reason.startsWith('token endpoint'));
    // Unproven, the caller is anonymous; the client id it claimed is in the reason.
    expect(entry, JSON.stringify(events)).toMatchObject({
      principal: 'anonymous',
      reason: expect.stringContaining('robot'),
    });
    expect(JSON.stringify(events)).not.toContain('wrong-secret');
  });
});
