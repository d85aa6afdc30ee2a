import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createUrlGuard,
  createWebhookSender,
  type NotificationSigner,
  type ResolvedAddress,
  type WebhookSender,
} from '../../src/push/index.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const ISSUER = 'https://gateway.example';

describe('the webhook sender', () => {
  let receiver: WebhookReceiver;
  let sender: WebhookSender;
  let publicKey: Awaited<ReturnType<typeof generateKeyPair>>['publicKey'];
  const senders: WebhookSender[] = [];

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    const pair = await generateKeyPair('ES256');
    publicKey = pair.publicKey;
    expect((await exportJWK(publicKey)).kty).toBe('EC');
    const sign: NotificationSigner = (claims) =>
      new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'k-1' })
        .sign(pair.privateKey);
    sender = senderWith({ sign, allowHosts: ['127.0.0.1'] });
  });
  afterAll(async () => {
    for (const s of senders) await s.close();
    await receiver?.close();
  });

  function senderWith(options: {
    sign?: NotificationSigner;
    allowHosts?: string[];
    resolve?: (host: string) => Promise<ResolvedAddress[]>;
    timeoutMs?: number;
  }): WebhookSender {
    const created = createWebhookSender({
      guard: createUrlGuard({
        allowHosts: options.allowHosts ?? [],
        ...(options.resolve ? { resolve: options.resolve } : {}),
      }),
      sign: options.sign ?? (async () => 'unsigned'),
      issuer: () => ISSUER,
      connectTimeoutMs: 1_000,
      timeoutMs: options.timeoutMs ?? 5_000,
      jwtTtlS: 120,
    });
    senders.push(created);
    return created;
  }

  const notification = (path: string, overrides = {}) => ({
    url: `${receiver.origin}${path}`,
    body: JSON.stringify({ statusUpdate: { taskId: 't-1', contextId: 'c-1', status: {} } }),
    id: 'n-1',
    taskId: 't-1',
    token: 'tok-1',
    authentication: { scheme: 'Bearer', credentials: 'secret-1' },
    ...overrides,
  });

  it('POSTs the body with the token, the authentication and a JWT over the body (§4.3.3)', async () => {
    receiver.answer(204);
    const before = receiver.received.length;
    expect(await sender.send(notification('/hook?x=1'))).toEqual({
      kind: 'delivered',
      status: 204,
    });
    const got = receiver.received[before]!;
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/hook?x=1');
    expect(got.headers['content-type']).toBe('application/a2a+json');
    expect(got.headers.authorization).toBe('Bearer secret-1');
    expect(got.headers['x-a2a-notification-token']).toBe('tok-1');
    expect(got.headers['x-a2a-notification-id']).toBe('n-1');
    expect(JSON.parse(got.body)).toEqual(JSON.parse(notification('/').body));
    const { payload, protectedHeader } = await jwtVerify(
      got.headers['x-a2a-notification-jwt'] as string,
      publicKey,
      { issuer: ISSUER, audience: `${receiver.origin}/hook?x=1` },
    );
    expect(protectedHeader.kid).toBe('k-1');
    expect(payload).toMatchObject({ jti: 'n-1', task_id: 't-1' });
    expect(payload.body_sha256).toBe(createHash('sha256').update(got.body).digest('hex'));
    expect(payload.exp! - payload.iat!).toBe(120);
  });

  it('sends no Authorization or token header when the config has none', async () => {
    receiver.answer(200);
    const before = receiver.received.length;
    await sender.send({ ...notification('/plain'), token: undefined, authentication: undefined });
    const got = receiver.received[before]!;
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers['x-a2a-notification-token']).toBeUndefined();
  });

  it('tells answers worth retrying (408, 429, 5xx) from those that are not (4xx)', async () => {
    for (const [status, kind] of [
      [500, 'retry'],
      [503, 'retry'],
      [429, 'retry'],
      [408, 'retry'],
      [400, 'rejected'],
      [404, 'rejected'],
      [410, 'rejected'],
    ] as const) {
      receiver.answer(status);
      const outcome = await sender.send(notification('/status'));
      expect(outcome, String(status)).toMatchObject({ kind });
      expect('reason' in outcome && outcome.reason).toContain(String(status));
    }
  });

  it('does not follow a redirect', async () => {
    receiver.answer((response) =>
      response.writeHead(302, { location: `${receiver.origin}/elsewhere` }).end(),
    );
    const before = receiver.received.length;
    const outcome = await sender.send(notification('/moved'));
    expect(outcome).toMatchObject({
      kind: 'rejected',
      reason: expect.stringMatching(/302.*not followed/),
    });
    expect(receiver.received.slice(before).map((r) => r.path)).toEqual(['/moved']);
  });

  it('reads only the first bytes of a long answer', async () => {
    receiver.answer((response) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('x'.repeat(1024 * 1024));
    });
    const outcome = await sender.send(notification('/long'));
    expect(outcome.kind).toBe('retry');
    expect('reason' in outcome && outcome.reason.length).toBeLessThan(300);
  });

  it('gives up on a receiver that does not answer in time, to try again later', async () => {
    const slow = senderWith({ allowHosts: ['127.0.0.1'], timeoutMs: 300 });
    const held: (() => void)[] = [];
    receiver.answer((response) => held.push(() => response.end()));
    const outcome = await slow.send(notification('/slow'));
    expect(outcome).toMatchObject({
      kind: 'retry',
      reason: expect.stringMatching(/no answer|timeout/i),
    });
    for (const release of held) release();
    receiver.answer(200);
  });

  it('tries again later when nothing listens', async () => {
    const closed = await startWebhookReceiver();
    const url = `${closed.origin}/gone`;
    await closed.close();
    const outcome = await sender.send({ ...notification('/'), url });
    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('never connects to a loopback address that is not allow-listed, by literal or by name', async () => {
    const guarded = senderWith({
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    receiver.answer(200);
    const before = receiver.received.length;
    expect(await guarded.send(notification('/literal'))).toMatchObject({
      kind: 'rejected',
      reason: expect.stringMatching(/127\.0\.0\.1 is loopback/),
    });
    // A name that resolves to loopback at delivery time (it may have pointed elsewhere when
    // the config was made): the connection's own lookup refuses it.
    const byName = await guarded.send({
      ...notification('/'),
      url: `http://rebound.example:${receiver.port}/named`,
    });
    expect(byName).toMatchObject({
      kind: 'rejected',
      reason: expect.stringMatching(/rebound\.example resolves to 127\.0\.0\.1, loopback/),
    });
    expect(receiver.received.length).toBe(before);
  });
});
