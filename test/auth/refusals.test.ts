import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANONYMOUS,
  createDenialRecorder,
  createRateLimiter,
  SECURITY_STREAM,
} from '../../src/auth/index.js';
import { createGatewayRegistry } from '../../src/gateway-registry.js';
import { createMemoryEventStore } from '../../src/store/index.js';
import { eventually } from '../support/collect.js';
import { rpc, startTestGateway, type TestGateway, userMessage } from '../support/gateway.js';
import { type IdentityProvider, startIdentityProvider } from '../support/identity-provider.js';

describe('rate limiter (token bucket per principal)', () => {
  const someone = { name: 'a', tenant: 't', scopes: new Set<string>(), via: 'jwt' as const };

  it('allows the burst, then one call per 1/rate seconds, saying how long to wait', () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 2, burst: 3, now: () => now });
    expect([1, 2, 3].map(() => limiter.retryAfterS(someone))).toEqual([0, 0, 0]);
    expect(limiter.retryAfterS(someone)).toBe(1);
    now += 500;
    expect(limiter.retryAfterS(someone)).toBe(0);
    expect(limiter.retryAfterS(someone)).toBe(1);
    // Another principal has its own bucket; anonymous (loopback only) has none.
    expect(limiter.retryAfterS({ ...someone, name: 'b' })).toBe(0);
    for (let i = 0; i < 10; i++) expect(limiter.retryAfterS(ANONYMOUS)).toBe(0);
  });

  it('keeps at most maxPrincipals buckets', () => {
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, maxPrincipals: 10, now: () => 0 });
    for (let i = 0; i < 1_000; i++) limiter.retryAfterS({ ...someone, name: `p${i}` });
    // The last principal's bucket survived the pruning: its second call waits.
    expect(limiter.retryAfterS({ ...someone, name: 'p999' })).toBe(1);
  });
});

describe('denial recorder', () => {
  it('records refusals up to its rate and counts the rest into the next record', async () => {
    const store = createMemoryEventStore({ registry: createGatewayRegistry() });
    let now = 0;
    const recorder = createDenialRecorder(store, { perSecond: 1, burst: 2, now: () => now });
    const denial = {
      kind: 'unauthenticated' as const,
      principal: 'anonymous',
      reason: 'no credentials',
      path: '/x',
    };
    for (let i = 0; i < 50; i++) recorder.record(denial);
    now += 1_000;
    recorder.record({ ...denial, reason: 'bad token' });
    await recorder.flush();
    const events = await store.readStream(SECURITY_STREAM);
    expect(events.map((event) => (event.data as { suppressed: number }).suppressed)).toEqual([
      0, 0, 48,
    ]);
    expect((events[2]!.data as { reason: string }).reason).toBe('bad token');
  });
});

describe('refusals over HTTP: 429 with Retry-After, and the security audit', () => {
  let idp: IdentityProvider;
  let gateway: TestGateway;
  let admin: Record<string, string>;

  beforeAll(async () => {
    idp = await startIdentityProvider();
    gateway = await startTestGateway({
      env: {
        AUTH_ISSUERS: idp.authIssuers,
        RATE_LIMIT_PER_SECOND: '1',
        RATE_LIMIT_BURST: '5',
        SECURITY_AUDIT_PER_SECOND: '1',
        AUTH_OWNER_ONLY_CANCEL: 'true',
      },
    });
    admin = { authorization: `Bearer ${await idp.token({ sub: 'ops', scope: 'a2a:admin' })}` };
  });
  afterAll(async () => {
    await gateway?.stop();
    await idp?.close();
  });

  it('a principal over its rate gets 429 with Retry-After; others are unaffected', async () => {
    const busy = { authorization: `Bearer ${await idp.token({ sub: 'busy' })}` };
    const get = (headers: Record<string, string>) =>
      rpc(
        `${gateway.url}/agents/echo`,
        { jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'x' } },
        headers,
      );
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get(busy)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const limited = await get(busy);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.body.error.code).toBe(-31429);
    const calm = { authorization: `Bearer ${await idp.token({ sub: 'calm' })}` };
    expect((await get(calm)).status).toBe(200);
  });

  it('refusals are audit events with principal, reason and remote address, rate-limited', async () => {
    const send = (headers: Record<string, string>) =>
      rpc(
        `${gateway.url}/agents/echo`,
        { jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: userMessage('x') } },
        headers,
      );
    for (let i = 0; i < 30; i++)
      expect((await send({ authorization: 'Bearer nope' })).status).toBe(401);
    const readOnly = {
      authorization: `Bearer ${await idp.token({ sub: 'reader', scope: 'a2a:read' })}`,
    };
    // No wait for the recorder's bucket: a refusal it has no slot for is written, counted,
    // within a second by its flush, which names it.
    expect((await send(readOnly)).status).toBe(403);
    type Entry = {
      kind: string;
      principal: string;
      reason: string;
      remoteAddress?: string;
      suppressed: number;
    };
    let entries: Entry[] = [];
    await eventually(async () => {
      const response = await fetch(`${gateway.url}/audit/security?limit=1000`, { headers: admin });
      // This gateway allows one call a second: a poll too soon is a 429.
      if (!response.ok) return false;
      entries = ((await response.json()) as { events: Entry[] }).events;
      return entries.some((entry) => entry.kind === 'forbidden');
    }, 5_000);
    const unauthenticated = entries.filter((entry) => entry.kind === 'unauthenticated');
    // 30 refusals, far fewer records: the rest are counted, not lost.
    expect(unauthenticated.length).toBeLessThan(30);
    const forbidden = entries.find((entry) => entry.kind === 'forbidden')!;
    // Recorded itself, or (its slot taken by the count of the flood) as a count naming it.
    expect(forbidden, JSON.stringify(entries)).toMatchObject({
      principal: 'reader',
      reason: expect.stringContaining('missing scope a2a:send'),
    });
    expect(
      unauthenticated.length + entries.reduce((sum, entry) => sum + entry.suppressed, 0),
    ).toBeGreaterThanOrEqual(30);
    expect(unauthenticated[0]).toMatchObject({
      principal: 'anonymous',
      remoteAddress: expect.stringMatching(/127\.0\.0\.1/),
    });
    expect(JSON.stringify(entries)).not.toContain('Bearer');
  });

  it('with AUTH_OWNER_ONLY_CANCEL only the creator (or an admin) cancels a task', async () => {
    const as = async (sub: string, scope = 'a2a:send a2a:read a2a:cancel') => ({
      authorization: `Bearer ${await idp.token({ sub, tenant: 'acme', scope })}`,
    });
    const call = async (method: string, params: unknown, headers: Record<string, string>) =>
      rpc(`${gateway.url}/agents/echo`, { jsonrpc: '2.0', id: 1, method, params }, headers);
    const open = async (owner: Record<string, string>) =>
      (
        await call(
          'SendMessage',
          { message: userMessage('wait', { messageId: `tck-input-required-${Math.random()}` }) },
          owner,
        )
      ).body.result.task.id as string;
    const alice = await as('alice');
    const first = await open(alice);
    const bob = await call('CancelTask', { id: first }, await as('bob'));
    expect(bob.status).toBe(403);
    expect(bob.body.error.message).toBe('only the principal that created this task may cancel it');
    const own = await call('CancelTask', { id: first }, alice);
    expect(own.body.result.status.state).toBe('TASK_STATE_CANCELED');
    const second = await open(await as('alice2'));
    const byAdmin = await call('CancelTask', { id: second }, await as('ops2', 'a2a:admin'));
    expect(byAdmin.body.result.status.state).toBe('TASK_STATE_CANCELED');
  });

  it('the security audit needs the admin scope', async () => {
    const reader = { authorization: `Bearer ${await idp.token({ sub: 'r2', scope: 'a2a:read' })}` };
    expect((await fetch(`${gateway.url}/audit/security`, { headers: reader })).status).toBe(403);
    expect((await fetch(`${gateway.url}/audit/security`)).status).toBe(401);
  });
});
