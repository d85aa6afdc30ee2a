import { TaskState } from '@a2a-js/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { type IdentityProvider, startIdentityProvider } from '../support/identity-provider.js';
import { asTask, bearerSdkClient, sdkMessage, sdkSend } from '../support/sdk.js';
import { describeEachDatabase } from '../support/services.js';
import { readSse } from '../support/sse.js';

const UNAUTHENTICATED = -31401;
const PERMISSION_DENIED = -31403;
const TASK_NOT_FOUND = -32001;

type Headers_ = Record<string, string>;

describeEachDatabase('authentication, scopes and tenants on $name', ({ database }) => {
  let idp: IdentityProvider;
  let gateway: TestGateway;
  let endpoint: string;
  /** An admin's API key (every tenant), and bearer headers for two tenants. */
  let admin: Headers_;
  let acme: Headers_;
  let globex: Headers_;

  const bearer = (token: string): Headers_ => ({ authorization: `Bearer ${token}` });
  const call = (method: string, params: unknown, headers: Headers_, url = endpoint) =>
    rpc(url, { jsonrpc: '2.0', id: 7, method, params }, headers);

  beforeAll(async () => {
    idp = await startIdentityProvider();
    gateway = await startTestGateway({
      database,
      env: {
        AUTH_ISSUERS: idp.authIssuers,
        AUTH_API_KEYS: 'true',
      },
    });
    endpoint = `${gateway.url}/agents/echo`;
    acme = bearer(await idp.token({ sub: 'agent-a', tenant: 'acme' }));
    globex = bearer(await idp.token({ sub: 'agent-g', tenant: 'globex' }));
    // The first admin key: made by an admin token (scopes say so), used as an API key after.
    const adminToken = bearer(await idp.token({ sub: 'ops', tenant: 'acme', scope: 'a2a:admin' }));
    const made = await fetch(`${gateway.url}/admin/api-keys`, {
      method: 'POST',
      headers: { ...adminToken, 'content-type': 'application/json' },
      body: JSON.stringify({ principal: 'ops-key', scopes: ['a2a:admin'] }),
    });
    expect(made.status).toBe(201);
    admin = { 'x-api-key': ((await made.json()) as { key: string }).key };
  });
  afterAll(async () => {
    await gateway?.stop();
    await idp?.close();
  });

  describe('refused credentials: 401 with a challenge, a JSON-RPC error and no data', () => {
    const cases: [string, () => Promise<Headers_>][] = [
      [
        'expired',
        async () => bearer(await idp.token({}, { expiresIn: Math.floor(Date.now() / 1000) - 120 })),
      ],
      ['not yet valid', async () => bearer(await idp.token({}, { notBefore: '10m' }))],
      [
        'wrong issuer',
        async () => bearer(await idp.token({}, { issuer: 'https://evil.example/' })),
      ],
      ['wrong audience', async () => bearer(await idp.token({}, { audience: 'someone-else' }))],
      ['bad signature', async () => bearer(await idp.token({}, { foreignKey: true }))],
      ['unknown kid', async () => bearer(await idp.token({}, { kid: 'key-unknown' }))],
      ['alg none', async () => bearer(idp.unsigned())],
      ['HS256 signed with the public key', async () => bearer(await idp.hmacWithPublicKey())],
      ['no subject', async () => bearer(await idp.token({ sub: undefined }))],
      ['not a JWT', async () => bearer('not.a.jwt')],
      ['malformed API key', async () => ({ 'x-api-key': 'a2a_nothex_secret' })],
      ['unknown API key', async () => ({ 'x-api-key': `a2a_000000000000_${'A'.repeat(43)}` })],
    ];
    for (const [name, headers] of cases) {
      it(name, async () => {
        const {
          status,
          headers: answer,
          body,
        } = await call('SendMessage', { message: userMessage('refused') }, await headers());
        expect(status).toBe(401);
        expect(answer.get('www-authenticate')).toMatch(
          /^(Bearer|ApiKey) realm="a2a-gateway", .*error="invalid_(token|key)"/,
        );
        expect(body.error.code).toBe(UNAUTHENTICATED);
        expect(body.result).toBeUndefined();
        expect(JSON.stringify(body)).not.toMatch(/expired|issuer|audience|signature|kid/i);
      });
    }

    it('no credentials at all: the challenge names both schemes', async () => {
      const { status, headers, body } = await call('GetTask', { id: 'x' }, {});
      expect(status).toBe(401);
      expect(headers.get('www-authenticate')).toBe(
        'Bearer realm="a2a-gateway", ApiKey realm="a2a-gateway", header="X-API-Key"',
      );
      expect(body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: UNAUTHENTICATED } });
    });

    it('an unauthenticated body is never read: a huge one is refused with 401, not 413', async () => {
      const { status } = await rpc(endpoint, 'x'.repeat(2_000_000), {});
      expect(status).toBe(401);
    });

    it('an unknown kid refetches the JWKS at most once per cooldown', async () => {
      const before = idp.fetches();
      for (let i = 0; i < 20; i++) {
        const { status } = await call(
          'GetTask',
          { id: 'x' },
          bearer(await idp.token({}, { kid: `made-up-${i}` })),
        );
        expect(status).toBe(401);
      }
      expect(idp.fetches() - before).toBeLessThanOrEqual(1);
    });
  });

  it('a valid token: the task is stored with its principal and tenant, and the audit shows them', async () => {
    const { status, body } = await call('SendMessage', { message: userMessage('hello') }, acme);
    expect(status).toBe(200);
    const task = body.result.task;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    const audit = await fetch(`${gateway.url}/tasks/${task.id}/events`, { headers: acme });
    expect(audit.status).toBe(200);
    const { events } = (await audit.json()) as { events: { principal?: string; tenant: string }[] };
    expect(events.length).toBeGreaterThan(1);
    for (const event of events)
      expect(event, JSON.stringify(event)).toMatchObject({ principal: 'agent-a', tenant: 'acme' });
  });

  it('a missing scope is 403 naming it, in the challenge and in the error', async () => {
    const readOnly = bearer(await idp.token({ scope: 'a2a:read' }));
    const { status, headers, body } = await call(
      'SendMessage',
      { message: userMessage('no') },
      readOnly,
    );
    expect(status).toBe(403);
    expect(headers.get('www-authenticate')).toBe(
      'Bearer realm="a2a-gateway", error="insufficient_scope", scope="a2a:send"',
    );
    expect(body.error).toMatchObject({
      code: PERMISSION_DENIED,
      message: 'this call needs the scope a2a:send',
    });
  });

  describe('every method × (own tenant, other tenant, no credentials, wrong scope)', () => {
    let completed: string;
    let open: string;
    const noScope = async () =>
      bearer(await idp.token({ sub: 'agent-a', tenant: 'acme', scope: 'nothing' }));

    beforeAll(async () => {
      completed = (await call('SendMessage', { message: userMessage('done') }, acme)).body.result
        .task.id;
      const waiting = await call(
        'SendMessage',
        { message: userMessage('wait', { messageId: `tck-input-required-${Date.now()}` }) },
        acme,
      );
      open = waiting.body.result.task.id;
      expect(waiting.body.result.task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    });

    const methods: {
      method: string;
      params: () => unknown;
      own: (body: JsonBody) => void;
      other: 'not-found' | 'empty' | 'denied';
    }[] = [
      {
        method: 'SendMessage',
        params: () => ({ message: userMessage('again') }),
        own: (body) => expect(body.result.task.status.state).toBe('TASK_STATE_COMPLETED'),
        other: 'denied',
      },
      {
        method: 'SendMessage (a follow-up)',
        params: () => ({ message: userMessage('more', { taskId: open }) }),
        own: (body) => expect(body.result.task.id).toBe(open),
        other: 'not-found',
      },
      {
        method: 'GetTask',
        params: () => ({ id: completed }),
        own: (body) => expect(body.result.id).toBe(completed),
        other: 'not-found',
      },
      {
        method: 'ListTasks',
        params: () => ({}),
        own: (body) =>
          expect(body.result.tasks.map((t: { id: string }) => t.id)).toContain(completed),
        other: 'empty',
      },
      {
        method: 'CancelTask',
        params: () => ({ id: completed }),
        // Completed: not cancelable, which proves it was found.
        own: (body) => expect(body.error.code).toBe(-32002),
        other: 'not-found',
      },
    ];

    for (const { method, params, own, other } of methods) {
      const name = method.split(' ')[0]!;
      it(`${method}: own tenant answers`, async () => {
        const { body } = await call(name, params(), acme);
        own(body);
      });
      it(`${method}: another tenant's credentials learn nothing`, async () => {
        const { status, body } = await call(name, params(), globex);
        if (other === 'not-found') {
          expect(body.error.code).toBe(TASK_NOT_FOUND);
          expect(body.result).toBeUndefined();
        } else if (other === 'empty') {
          // globex has tasks of its own by now, and none of acme's.
          const ids = body.result.tasks.map((t: { id: string }) => t.id);
          expect(ids).not.toContain(completed);
          expect(ids).not.toContain(open);
        } else {
          // A new task in globex's own tenant is globex's: it sees only its own.
          expect(status).toBe(200);
          const own = await call('GetTask', { id: body.result.task.id }, acme);
          expect(own.body.error.code).toBe(TASK_NOT_FOUND);
        }
      });
      it(`${method}: the URL naming another tenant reads as absent`, async () => {
        const { status, body } = await call(
          name,
          params(),
          acme,
          `${gateway.url}/globex/agents/echo`,
        );
        if (other === 'empty') expect(body.result.tasks).toEqual([]);
        else if (other === 'denied') expect(status).toBe(403);
        else expect(body.error.code).toBe(TASK_NOT_FOUND);
      });
      it(`${method}: no credentials is 401`, async () => {
        const { status, body } = await call(name, params(), {});
        expect(status).toBe(401);
        expect(body.error.code).toBe(UNAUTHENTICATED);
      });
      it(`${method}: without its scope is 403`, async () => {
        const { status, body } = await call(name, params(), await noScope());
        expect(status).toBe(403);
        expect(body.error.code).toBe(PERMISSION_DENIED);
      });
    }

    it('SubscribeToTask: own tenant streams, another reads as absent, none 401, wrong scope 403', async () => {
      const body = (id: string) => ({
        jsonrpc: '2.0',
        id: 1,
        method: 'SubscribeToTask',
        params: { id },
      });
      const headers = (h: Headers_) => ({
        'content-type': 'application/json',
        'a2a-version': '1.0',
        ...h,
      });
      const waiting = await call(
        'SendMessage',
        { message: userMessage('wait', { messageId: `tck-input-required-s${Date.now()}` }) },
        acme,
      );
      const open = waiting.body.result.task.id;
      const mine = await readSse(
        endpoint,
        { method: 'POST', body: body(open), headers: headers(acme) },
        { stopAfter: 1 },
      );
      expect(mine.data[0].result.task.id).toBe(open);
      const theirs = await call('SubscribeToTask', { id: open }, globex);
      expect(theirs.body.error.code).toBe(TASK_NOT_FOUND);
      expect((await call('SubscribeToTask', { id: open }, {})).status).toBe(401);
      expect((await call('SubscribeToTask', { id: open }, await noScope())).status).toBe(403);
    });

    it('SendStreamingMessage: own tenant streams, none 401, wrong scope 403', async () => {
      const body = {
        jsonrpc: '2.0',
        id: 1,
        method: 'SendStreamingMessage',
        params: { message: userMessage('s') },
      };
      const read = await readSse(endpoint, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'a2a-version': '1.0', ...acme },
      });
      expect(read.data.at(-1).result.statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');
      expect((await call('SendStreamingMessage', body.params, {})).status).toBe(401);
      expect((await call('SendStreamingMessage', body.params, await noScope())).status).toBe(403);
    });

    it('audit: own tenant reads, another tenant 404, none 401, wrong scope 403, admin any', async () => {
      const audit = (headers: Headers_, prefix = '') =>
        fetch(`${gateway.url}${prefix}/tasks/${completed}/events`, { headers });
      expect((await audit(acme)).status).toBe(200);
      expect((await audit(globex)).status).toBe(404);
      expect((await audit(acme, '/globex')).status).toBe(404);
      expect((await audit({})).status).toBe(401);
      expect((await audit(await noScope())).status).toBe(403);
      expect((await audit(admin)).status).toBe(200);
      expect((await audit(admin, '/acme')).status).toBe(200);
      expect((await audit(admin, '/globex')).status).toBe(404);
    });
  });

  describe('API keys', () => {
    it('work until revoked, and are refused at once after', async () => {
      const made = await fetch(`${gateway.url}/admin/api-keys`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ principal: 'ci-bot', tenant: 'acme' }),
      });
      const { key, id } = (await made.json()) as { key: string; id: string };
      const withKey = { 'x-api-key': key };
      const sent = await call('SendMessage', { message: userMessage('by key') }, withKey);
      expect(sent.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
      // Bound to acme: acme's token sees the task.
      expect((await call('GetTask', { id: sent.body.result.task.id }, acme)).body.result.id).toBe(
        sent.body.result.task.id,
      );
      const revoked = await fetch(`${gateway.url}/admin/api-keys/${id}`, {
        method: 'DELETE',
        headers: admin,
      });
      expect(revoked.status).toBe(204);
      const after = await call('GetTask', { id: sent.body.result.task.id }, withKey);
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe(UNAUTHENTICATED);
    });

    it('key management needs the admin scope', async () => {
      expect((await fetch(`${gateway.url}/admin/api-keys`, { headers: acme })).status).toBe(403);
      expect((await fetch(`${gateway.url}/admin/api-keys`)).status).toBe(401);
      const listed = await fetch(`${gateway.url}/admin/api-keys`, { headers: admin });
      const { keys } = (await listed.json()) as { keys: Record<string, unknown>[] };
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key).not.toHaveProperty('secretHash');
    });
  });

  it('the @a2a-js/sdk client authenticates through its auth hooks', async () => {
    const token = await idp.token({ sub: 'sdk-agent', tenant: 'acme' });
    const client = await bearerSdkClient(gateway.url, token, { preferJsonRpc: true });
    const task = asTask(await client.sendMessage(sdkSend(sdkMessage('via sdk'))));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const again = await client.getTask({ id: task.id, historyLength: undefined, tenant: '' });
    expect(again.id).toBe(task.id);
  });
});
