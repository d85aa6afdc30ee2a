import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import { type JsonBody, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type IdentityProvider, startIdentityProvider } from '../support/identity-provider.js';
import { connectMcp, read } from './mcp-client.js';

type Headers_ = Record<string, string>;

const PERMISSION_DENIED = -31403;
const TASK_NOT_FOUND = -32001;

describe('the MCP face with authentication: the same scopes and tenants as A2A', {
  timeout: 60_000,
}, () => {
  let idp: IdentityProvider;
  let gateway: TestGateway;
  /** Bearer tokens of two tenants (every A2A scope but admin), and an admin's. */
  let acme: Headers_;
  let globex: Headers_;
  let admin: Headers_;
  /** An API key of tenant acme with a2a:read only. */
  let reader: Headers_;
  let acmeMcp: { client: Client; transport: StreamableHTTPClientTransport };
  let globexMcp: { client: Client; transport: StreamableHTTPClientTransport };
  let readerMcp: { client: Client; transport: StreamableHTTPClientTransport };

  const bearer = (token: string): Headers_ => ({ authorization: `Bearer ${token}` });
  const call = async (client: Client, name: string, args: Record<string, unknown>) =>
    read(await client.callTool({ name, arguments: args }));

  beforeAll(async () => {
    idp = await startIdentityProvider();
    gateway = await startTestGateway({
      env: {
        AUTH_ISSUERS: idp.authIssuers,
        AUTH_API_KEYS: 'true',
      },
    });
    acme = bearer(await idp.token({ sub: 'agent-a', tenant: 'acme' }));
    globex = bearer(await idp.token({ sub: 'agent-g', tenant: 'globex' }));
    admin = bearer(await idp.token({ sub: 'ops', tenant: 'acme', scope: 'a2a:admin' }));
    const made = await fetch(`${gateway.url}/admin/api-keys`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ principal: 'reader', tenant: 'acme', scopes: ['a2a:read'] }),
    });
    expect(made.status).toBe(201);
    reader = { 'x-api-key': ((await made.json()) as { key: string }).key };
    acmeMcp = await connectMcp(gateway.url, acme);
    globexMcp = await connectMcp(gateway.url, globex);
    readerMcp = await connectMcp(gateway.url, reader);
  });
  afterAll(async () => {
    for (const mcp of [acmeMcp, globexMcp, readerMcp]) await mcp?.client.close();
    await gateway?.stop();
    await idp?.close();
  });

  const initialize = (headers: Headers_) =>
    fetch(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });

  it('refuses a request without valid credentials with 401 and a challenge', async () => {
    for (const headers of [{}, bearer('not.a.jwt'), { 'x-api-key': 'a2a_nothex_secret' }]) {
      const response = await initialize(headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(
        /^(Bearer|ApiKey) realm="a2a-gateway"/,
      );
      expect(((await response.json()) as JsonBody).error.code).toBe(-31401);
    }
    await expect(connectMcp(gateway.url)).rejects.toThrow();
  });

  it('a caller without a2a:send gets a tool error naming the scope, and the refusal is audited', async () => {
    const refused = await call(readerMcp.client, 'send_to_echo', { text: 'may I?' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toBe('this call needs the scope a2a:send');
    expect(refused.structured.error.code).toBe(PERMISSION_DENIED);
    const cancel = await call(readerMcp.client, 'cancel_task', { taskId: 'any' });
    expect(cancel.text).toBe('this call needs the scope a2a:cancel');
    // It may read: its tenant has no such task.
    const got = await call(readerMcp.client, 'get_task', { taskId: 'any' });
    expect(got.structured.error.code).toBe(TASK_NOT_FOUND);

    await eventually(async () => {
      const response = await fetch(`${gateway.url}/audit/security`, { headers: admin });
      const { events } = (await response.json()) as JsonBody;
      return events.some(
        (event: JsonBody) =>
          event.kind === 'forbidden' &&
          event.principal === 'reader' &&
          event.reason === 'missing scope a2a:send' &&
          event.path === '/mcp',
      );
    }, 30_000);
  });

  it("another tenant's task is invisible: get, list, audit and cancel find nothing", async () => {
    const sent = await call(acmeMcp.client, 'send_to_echo', { text: 'acme only' });
    const taskId = sent.structured.task.id;
    expect(sent.isError).toBe(false);
    const own = await call(acmeMcp.client, 'get_task', { taskId });
    expect(own.structured.id).toBe(taskId);
    const audit = await call(acmeMcp.client, 'get_task_audit', { taskId });
    expect(audit.structured.events[0]).toMatchObject({ tenant: 'acme', principal: 'agent-a' });
    // The reader key of the same tenant reads it too.
    expect((await call(readerMcp.client, 'get_task', { taskId })).structured.id).toBe(taskId);

    for (const [name, args] of [
      ['get_task', { taskId }],
      ['get_task', { taskId, tenant: 'acme' }],
      ['get_task_audit', { taskId }],
      ['get_task_audit', { taskId, tenant: 'acme' }],
      ['cancel_task', { taskId, tenant: 'acme' }],
      ['send_to_echo', { text: 'hijack', taskId }],
    ] as const) {
      const foreign = await call(globexMcp.client, name, args);
      expect(foreign.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(foreign.structured.error.code).toBe(TASK_NOT_FOUND);
    }
    const listed = await call(globexMcp.client, 'list_tasks', {});
    expect(listed.structured.tasks.map((task: { id: string }) => task.id)).not.toContain(taskId);
    const listedThere = await call(globexMcp.client, 'list_tasks', { tenant: 'acme' });
    expect(listedThere.structured.tasks).toEqual([]);
    expect(
      (await call(acmeMcp.client, 'list_tasks', {})).structured.tasks.map((t: JsonBody) => t.id),
    ).toContain(taskId);
  });

  it('a session id is no credential: another principal using it finds no session', async () => {
    const sessionId = acmeMcp.transport.sessionId!;
    const response = await fetch(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: {
        ...globex,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }),
    });
    expect(response.status).toBe(404);
    // The owner's session is untouched.
    expect((await acmeMcp.client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('each request acts with the credentials it carries now, not those that opened the session', async () => {
    let headers = acme;
    const mcp = await connectMcp(gateway.url, () => headers);
    try {
      expect((await call(mcp.client, 'send_to_echo', { text: 'allowed' })).isError).toBe(false);
      // The same principal and tenant, its send scope withdrawn.
      headers = bearer(await idp.token({ sub: 'agent-a', tenant: 'acme', scope: 'a2a:read' }));
      const refused = await call(mcp.client, 'send_to_echo', { text: 'not any more' });
      expect(refused.text).toBe('this call needs the scope a2a:send');
    } finally {
      headers = acme;
      await mcp.client.close();
    }
  });
});
