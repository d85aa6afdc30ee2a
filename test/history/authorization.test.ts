import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { type IdentityProvider, startIdentityProvider } from '../support/identity-provider.js';

type Headers_ = Record<string, string>;

describe('history routes: authentication, scopes and tenants', () => {
  let idp: IdentityProvider;
  let gateway: TestGateway;
  let acme: Headers_;
  let globex: Headers_;
  let admin: Headers_;
  let taskId: string;
  const bearer = (token: string): Headers_ => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    idp = await startIdentityProvider();
    gateway = await startTestGateway({
      env: {
        AUTH_ISSUERS: idp.authIssuers,
      },
    });
    acme = bearer(await idp.token({ sub: 'agent-a', tenant: 'acme' }));
    globex = bearer(await idp.token({ sub: 'agent-g', tenant: 'globex' }));
    admin = bearer(await idp.token({ sub: 'ops', tenant: 'acme', scope: 'a2a:admin' }));
    const sent = await rpc(
      `${gateway.url}/agents/echo`,
      { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: userMessage('hi') } },
      acme,
    );
    taskId = sent.body.result.task.id;
  });
  afterAll(async () => {
    await gateway?.stop();
    await idp?.close();
  });

  const get = async (path: string, headers: Headers_ = {}, method = 'GET') => {
    const response = await fetch(`${gateway.url}${path}`, { method, headers });
    return { status: response.status, body: (await response.json()) as JsonBody };
  };

  it('shows a task as of a position to its tenant and to admins, to nobody else', async () => {
    const mine = await get(`/tasks/${taskId}?asOf=999999999999999`, acme);
    expect(mine.status).toBe(200);
    expect(mine.body.task.id).toBe(taskId);
    expect((await get(`/acme/tasks/${taskId}`, acme)).status).toBe(200);
    expect((await get(`/tasks/${taskId}`, admin)).status).toBe(200);
    expect((await get(`/tasks/${taskId}`, globex)).status).toBe(404);
    expect((await get(`/acme/tasks/${taskId}`, globex)).status).toBe(404);
    expect((await get(`/tasks/${taskId}`)).status).toBe(401);
  });

  it('keeps the chain check and the rebuild to the admin scope', async () => {
    expect((await get('/admin/audit/verify', acme)).status).toBe(403);
    expect((await get('/admin/audit/verify')).status).toBe(401);
    expect((await get('/admin/projections/task-view/rebuild', acme, 'POST')).status).toBe(403);
    const verified = await get('/admin/audit/verify?tenant=acme', admin);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: true, tenant: 'acme' });
  });

  it('answers the as-of route with 200 or 4xx whatever the id, tenant and asOf', async () => {
    const segment = fc.oneof(
      fc.constant(taskId),
      fc.string({ maxLength: 30 }).map((text) => encodeURIComponent(text) || 'x'),
      fc.constantFrom('%00', '%2F', '..', '%C0%AF', 'a'.repeat(300)),
    );
    const asOf = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.bigInt({ min: -10n, max: 10n ** 20n }).map(String),
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      fc.constantFrom('1e3', '2026-02-30T00:00:00Z', '+0', ' 1', '1 '),
    );
    await fc.assert(
      fc.asyncProperty(fc.option(segment), segment, asOf, async (tenant, id, at) => {
        const path = `${tenant ? `/${tenant}` : ''}/tasks/${id}?asOf=${encodeURIComponent(at)}`;
        const response = await fetch(`${gateway.url}${path}`, { headers: admin });
        const text = await response.text();
        expect(response.status, `${path}: ${text.slice(0, 200)}`).toBeLessThan(500);
      }),
      { seed: 20261201, numRuns: 150 },
    );
  });
});
