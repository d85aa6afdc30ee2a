import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type JsonBody,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { type IdentityProvider, startIdentityProvider } from '../support/identity-provider.js';
import { readSse } from '../support/sse.js';

const SECRET = 'my passport number is X1234567';

describe('privacy over HTTP: audit redaction by scope, crypto-shredding a tenant', () => {
  let idp: IdentityProvider;
  let gateway: TestGateway;
  let reader: Record<string, string>;
  let piiReader: Record<string, string>;
  let admin: Record<string, string>;
  let taskId: string;

  const bearer = async (claims: Record<string, unknown>) => ({
    authorization: `Bearer ${await idp.token(claims)}`,
  });
  const auditOf = async (headers: Record<string, string>) => {
    const response = await fetch(`${gateway.url}/tasks/${taskId}/events`, { headers });
    expect(response.status).toBe(200);
    return ((await response.json()) as { events: { type: string; data: JsonBody }[] }).events;
  };
  const call = (method: string, params: unknown, headers: Record<string, string>) =>
    rpc(`${gateway.url}/agents/echo`, { jsonrpc: '2.0', id: 1, method, params }, headers);

  beforeAll(async () => {
    idp = await startIdentityProvider();
    gateway = await startTestGateway({
      env: {
        AUTH_ISSUERS: idp.authIssuers,
        PII_ENCRYPTION: 'true',
        ENCRYPTION_MASTER_KEY: randomBytes(32).toString('base64'),
      },
    });
    reader = await bearer({ sub: 'alice', tenant: 'acme', scope: 'a2a:send a2a:read' });
    piiReader = await bearer({ sub: 'dpo', tenant: 'acme', scope: 'a2a:read a2a:audit-pii' });
    admin = await bearer({ sub: 'ops', scope: 'a2a:admin' });
    const sent = await call('SendMessage', { message: userMessage(SECRET) }, reader);
    expect(sent.status).toBe(200);
    taskId = sent.body.result.task.id;
    expect(sent.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
  });
  afterAll(async () => {
    await gateway?.stop();
    await idp?.close();
  });

  it('shows a caller without the PII scope the skeleton, its personal data redacted', async () => {
    const events = await auditOf(reader);
    expect(events.map((event) => event.type)).toContain('task.submitted');
    expect(JSON.stringify(events)).not.toContain('passport');
    const submitted = events.find((event) => event.type === 'task.submitted')!;
    expect(submitted.data.message.parts[0].text).toEqual({ $redacted: 'scope' });
    expect(submitted.data.taskId).toBe(taskId);
    const states = events
      .filter((event) => event.type === 'task.status_changed')
      .map((event) => event.data.status.state);
    expect(states).toContain('TASK_STATE_COMPLETED');
  });

  it('shows the PII scope and admins what was said', async () => {
    for (const caller of [piiReader, admin]) {
      const events = await auditOf(caller);
      const submitted = events.find((event) => event.type === 'task.submitted')!;
      expect(submitted.data.message.parts[0].text).toBe(SECRET);
    }
  });

  it('redacts the SSE audit stream the same way', async () => {
    const url = `${gateway.url}/tasks/${taskId}/events`;
    const redacted = await readSse(url, { method: 'GET', headers: reader });
    expect(redacted.status).toBe(200);
    expect(redacted.data.length).toBeGreaterThan(2);
    expect(JSON.stringify(redacted.data)).not.toContain('passport');
    expect(JSON.stringify(redacted.data)).toContain('"$redacted":"scope"');
    const open = await readSse(url, { method: 'GET', headers: piiReader });
    expect(JSON.stringify(open.data)).toContain(SECRET);
  });

  it('refuses to shred for a caller without the admin scope', async () => {
    const response = await fetch(`${gateway.url}/admin/tenants/acme/key`, {
      method: 'DELETE',
      headers: piiReader,
    });
    expect(response.status).toBe(403);
    const events = await auditOf(piiReader);
    expect(JSON.stringify(events)).toContain(SECRET);
  });

  it('shreds a tenant: its data reads as shredded everywhere, its skeleton stays', async () => {
    const response = await fetch(`${gateway.url}/admin/tenants/acme/key`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(response.status).toBe(200);
    const result = (await response.json()) as JsonBody;
    expect(result).toMatchObject({ tenant: 'acme', keysShredded: 1 });
    expect(result.tasksRedacted).toBeGreaterThanOrEqual(1);

    const events = await auditOf(piiReader);
    expect(JSON.stringify(events)).not.toContain('passport');
    const submitted = events.find((event) => event.type === 'task.submitted')!;
    expect(submitted.data.message.parts[0].text).toEqual({ $redacted: 'shredded' });
    expect(submitted.data.message.messageId).toBeTruthy();
    // A caller without the scope sees the stronger reason too.
    const limited = await auditOf(reader);
    const first = limited.find((event) => event.type === 'task.submitted')!;
    expect(first.data.message.parts[0].text).toEqual({ $redacted: 'shredded' });

    // GetTask (the command handler's copy) and ListTasks (the task view) hold copies: gone too.
    const got = await call('GetTask', { id: taskId, historyLength: 10 }, reader);
    expect(got.body.result.status.state).toBe('TASK_STATE_COMPLETED');
    expect(JSON.stringify(got.body.result)).not.toContain('passport');
    const listed = await call('ListTasks', { includeArtifacts: true, historyLength: 10 }, reader);
    expect(listed.body.result.tasks.map((task: JsonBody) => task.id)).toContain(taskId);
    expect(JSON.stringify(listed.body.result)).not.toContain('passport');

    // The tenant works on under a new key.
    const next = await call('SendMessage', { message: userMessage('a new secret') }, reader);
    expect(next.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    const later = await fetch(`${gateway.url}/tasks/${next.body.result.task.id}/events`, {
      headers: piiReader,
    });
    expect(JSON.stringify(await later.json())).toContain('a new secret');
  });
});

describe('shredding without PII encryption', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('answers 409: there is no key whose deletion would erase anything', async () => {
    const response = await fetch(`${gateway.url}/admin/tenants/acme/key`, { method: 'DELETE' });
    expect(response.status).toBe(409);
    expect(((await response.json()) as JsonBody).error).toBe('encryption_off');
  });
});
