import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/index.js';
import { eventually } from '../support/collect.js';
import {
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { type IdentityProvider, startIdentityProvider } from '../support/identity-provider.js';
import { scrape } from '../support/metrics.js';

const APP = 'https://app.example';

describe('operations with authentication on: access log, metrics scope, CORS, readiness', () => {
  let idp: IdentityProvider;
  let gateway: TestGateway;
  const lines: JsonBody[] = [];
  const raw: string[] = [];
  const bearer = async (claims: Record<string, unknown>) => ({
    authorization: `Bearer ${await idp.token({ sub: 'ops', tenant: 'acme', ...claims })}`,
  });

  beforeAll(async () => {
    idp = await startIdentityProvider();
    gateway = await startTestGateway({
      env: {
        AUTH_ISSUERS: idp.authIssuers,
        API_KEY_HEADER: 'X-Gateway-Key',
        CORS_ORIGINS: `${APP}, https://admin.example`,
      },
      logger: createLogger({
        level: 'debug',
        write: (line) => {
          raw.push(line);
          lines.push(JSON.parse(line));
        },
      }),
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await idp?.close();
  });

  it('logs one line per request with who asked, what and how long, never the credentials', async () => {
    const headers = await bearer({ sub: 'agent-a' });
    const correlation = `corr-${Date.now()}`;
    const sent = await rpc(
      `${gateway.url}/agents/echo`,
      { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: userMessage('hi') } },
      { ...headers, 'x-correlation-id': correlation },
    );
    const taskId = sent.body.result.task.id;
    expect(taskId).toBeTruthy();

    let line: JsonBody;
    await eventually(() => {
      line = lines.find((l) => l.message === 'request' && l.correlationId === correlation);
      return line !== undefined;
    });
    expect(line).toMatchObject({
      level: 'info',
      method: 'POST',
      path: '/agents/echo',
      status: 200,
      tenant: 'acme',
      principal: 'agent-a',
      rpcMethod: 'SendMessage',
    });
    expect(line.durationMs).toBeGreaterThan(0);
    expect(line.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(line.requestId).not.toBe(correlation);

    // Debug: how the caller authenticated, and the JSON-RPC call with the task it made.
    const detail = lines.find(
      (l) => l.message === 'request detail' && l.requestId === line.requestId,
    );
    expect(detail).toMatchObject({ level: 'debug', auth: 'jwt', route: '/agents/echo' });
    const call = lines.find(
      (l) => l.message === 'json-rpc call' && l.correlationId === correlation,
    );
    expect(call).toMatchObject({
      rpcMethod: 'SendMessage',
      outcome: 'ok',
      taskId,
      tenant: 'acme',
      principal: 'agent-a',
    });

    // A refused caller is logged too, with its status; no token text reaches any line.
    const refused = await fetch(`${gateway.url}/agents/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-real-token' },
      body: '{}',
    });
    expect(refused.status).toBe(401);
    await eventually(() =>
      lines.some((l) => l.message === 'request' && l.status === 401 && l.path === '/agents/echo'),
    );
    const token = headers.authorization.slice('Bearer '.length);
    expect(raw.join('\n')).not.toContain(token);
    expect(raw.join('\n')).not.toContain('not-a-real-token');
  });

  it('serves /metrics to the admin scope only', async () => {
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(401);
    const reader = await fetch(`${gateway.url}/metrics`, {
      headers: await bearer({ scope: 'a2a:read' }),
    });
    expect(reader.status).toBe(403);
    expect(reader.headers.get('www-authenticate')).toContain('a2a:admin');
    const samples = await scrape(gateway.url, await bearer({ scope: 'a2a:admin' }));
    expect(samples.has('a2a_bus_up')).toBe(true);
  });

  it('answers a preflight from an allowed origin before authentication, with what it may send', async () => {
    const preflight = await fetch(`${gateway.url}/agents/echo`, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, a2a-version',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (preflight.headers.get('access-control-allow-headers') ?? '')
      .toLowerCase()
      .split(',');
    for (const header of [
      'content-type',
      'authorization',
      'a2a-version',
      'idempotency-key',
      'x-api-key',
      'x-gateway-key',
      'last-event-id',
      'traceparent',
    ])
      expect(allowed, header).toContain(header);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    // The call itself: the browser may read the answer and the correlation id.
    const answered = await fetch(`${gateway.url}/agents/echo`, {
      method: 'POST',
      headers: {
        origin: APP,
        'content-type': 'application/json',
        'a2a-version': '1.0',
        ...(await bearer({})),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ListTasks', params: {} }),
    });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('access-control-allow-origin')).toBe(APP);
    expect(answered.headers.get('access-control-expose-headers')).toContain('X-Correlation-Id');
    expect(answered.headers.get('vary')).toContain('Origin');
  });

  it('gives a refused origin nothing that lets a browser through', async () => {
    const preflight = await fetch(`${gateway.url}/agents/echo`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const answered = await fetch(`${gateway.url}/healthz`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(answered.status).toBe(200);
    expect(answered.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('/readyz is 200 with every check ok, without credentials', async () => {
    const response = await fetch(`${gateway.url}/readyz`);
    const body: JsonBody = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.status).toBe('ready');
    expect(Object.keys(body.checks).sort()).toEqual([
      'bus',
      'executors',
      'migrations',
      'store',
      'task-view',
    ]);
    for (const check of Object.values(body.checks) as JsonBody[]) expect(check.status).toBe('ok');
    expect(body.checks.migrations.detail).toMatch(/\d+ migration sets applied/);
  });
});
