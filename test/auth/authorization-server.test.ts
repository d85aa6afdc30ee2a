import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterEach, expect, it } from 'vitest';
import {
  createAuthorizationServer,
  createJwtVerifier,
  JWT_BEARER_ASSERTION,
} from '../../src/auth/index.js';
import { describeEachDatabase } from '../support/services.js';
import {
  basic,
  requestToken,
  type ServedAuthorizationServer,
  serveAuthorizationServer,
  useDatabase,
} from './oauth-support.js';

const CLIENT_CREDENTIALS = { grant_type: 'client_credentials' };

describeEachDatabase('built-in OAuth authorization server on $name', ({ database }) => {
  const db = useDatabase(database);
  let served: ServedAuthorizationServer;
  afterEach(async () => {
    await served?.close();
  });

  const start = async (
    options: { signingKeyFile?: string; algorithm?: 'ES256' | 'EdDSA' } = {},
  ) => {
    served = await serveAuthorizationServer({
      client: db.client(),
      schema: db.schema(),
      ...options,
    });
    return served;
  };
  /** The server with one client `c` of the default tenant, allowed a2a:read. */
  const startWithReader = async () => {
    const started = await start();
    const { secret } = await started.server.clients.add({
      clientId: 'c',
      tenant: '',
      scopes: ['a2a:read'],
    });
    return { ...started, secret };
  };
  const verify = (token: string, url = served.url) =>
    jwtVerify(token, createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`)), {
      issuer: url,
      audience: 'a2a-gateway',
      typ: 'at+jwt',
    });

  it('issues a token for client_secret_basic that verifies against its published JWKS (RFC 6749 §4.4, RFC 9068)', async () => {
    const { url, server } = await start();
    const { secret } = await server.clients.add({
      clientId: 'billing',
      tenant: 'acme',
      scopes: ['a2a:send', 'a2a:read'],
    });
    const answer = await requestToken(url, CLIENT_CREDENTIALS, basic('billing', secret!));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'a2a:send a2a:read',
    });
    const { payload, protectedHeader } = await verify(String(answer.body.access_token));
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(protectedHeader.kid).toBe((await server.keys.active()).kid);
    expect(payload).toMatchObject({
      iss: url,
      sub: 'billing',
      aud: 'a2a-gateway',
      client_id: 'billing',
      scope: 'a2a:send a2a:read',
      tenant: 'acme',
    });
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(payload.jti).toEqual(expect.any(String));
  });

  it("gives the gateway's JWT verifier its tokens as a trusted issuer: the client is the principal", async () => {
    const { url, server } = await start();
    const { secret } = await server.clients.add({
      clientId: 'billing',
      tenant: 'acme',
      scopes: ['a2a:send', 'a2a:read'],
    });
    const answer = await requestToken(url, CLIENT_CREDENTIALS, basic('billing', secret!));
    const verifier = createJwtVerifier([server.trustedIssuer]);
    const principal = await verifier.verify(String(answer.body.access_token));
    expect(principal).toEqual({
      name: 'billing',
      tenant: 'acme',
      scopes: new Set(['a2a:send', 'a2a:read']),
      via: 'jwt',
    });
  });

  it('issues a token for client_secret_post, narrowed to the scope asked for', async () => {
    const { url, server } = await start();
    const { secret } = await server.clients.add({
      clientId: 'reader',
      tenant: '',
      scopes: ['a2a:send', 'a2a:read'],
    });
    const answer = await requestToken(url, {
      ...CLIENT_CREDENTIALS,
      client_id: 'reader',
      client_secret: secret!,
      scope: 'a2a:read',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.scope).toBe('a2a:read');
    const { payload } = await verify(String(answer.body.access_token));
    expect(payload).toMatchObject({ sub: 'reader', scope: 'a2a:read', tenant: '' });
  });

  it('answers a wrong secret with 401 invalid_client and a Basic challenge, saying nothing more (§5.2)', async () => {
    const { url, server } = await start();
    await server.clients.add({ clientId: 'billing', tenant: '', scopes: ['a2a:send'] });
    const wrong = await requestToken(url, CLIENT_CREDENTIALS, basic('billing', 'not-the-secret'));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'invalid_client' });
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
    expect(wrong.headers.get('cache-control')).toBe('no-store');
    const unknown = await requestToken(url, {
      ...CLIENT_CREDENTIALS,
      client_id: 'nobody',
      client_secret: 'x',
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ error: 'invalid_client' });
  });

  it('refuses a removed client', async () => {
    const { url, server } = await start();
    const { secret } = await server.clients.add({
      clientId: 'gone',
      tenant: '',
      scopes: ['a2a:read'],
    });
    expect((await requestToken(url, CLIENT_CREDENTIALS, basic('gone', secret!))).status).toBe(200);
    expect(await server.clients.remove('gone')).toBe(true);
    const answer = await requestToken(url, CLIENT_CREDENTIALS, basic('gone', secret!));
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: 'invalid_client' });
  });

  it('answers other grants with unsupported_grant_type', async () => {
    const { url, secret } = await startWithReader();
    const answer = await requestToken(
      url,
      { grant_type: 'password', username: 'u', password: 'p' },
      basic('c', secret!),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'unsupported_grant_type' });
  });

  it('answers a scope beyond the allowed ones, or a malformed one, with invalid_scope', async () => {
    const { url, secret } = await startWithReader();
    for (const scope of ['a2a:read a2a:admin', 'a2a:read  a2a:read']) {
      const answer = await requestToken(url, { ...CLIENT_CREDENTIALS, scope }, basic('c', secret!));
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: 'invalid_scope' });
    }
  });

  it('answers a malformed request with invalid_request: no grant, a repeated parameter, two methods, not a form', async () => {
    const { url, secret } = await startWithReader();
    expect((await requestToken(url, {}, basic('c', secret!))).body).toEqual({
      error: 'invalid_request',
    });
    const repeated = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic('c', secret!) },
      body: 'grant_type=client_credentials&scope=a2a:read&scope=a2a:read',
    });
    expect(repeated.status).toBe(400);
    expect(await repeated.json()).toEqual({ error: 'invalid_request' });
    const both = await requestToken(
      url,
      { ...CLIENT_CREDENTIALS, client_id: 'c', client_secret: secret! },
      basic('c', secret!),
    );
    expect(both.body).toEqual({ error: 'invalid_request' });
    const json = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basic('c', secret!) },
      body: JSON.stringify(CLIENT_CREDENTIALS),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'invalid_request' });
  });

  it('refuses a body beyond its bound before reading it', async () => {
    const { url } = await start();
    const answer = await requestToken(url, { ...CLIENT_CREDENTIALS, padding: 'x'.repeat(20_000) });
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ error: 'invalid_request' });
  });

  it('authenticates private_key_jwt clients by a signed assertion (RFC 7523), once per jti', async () => {
    const { url, server } = await start();
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256', kid: 'k1' };
    const added = await server.clients.add({
      clientId: 'signer',
      tenant: 'acme',
      scopes: ['a2a:send'],
      jwks: { keys: [jwk] },
    });
    expect(added.secret).toBeNull();
    const now = Math.floor(Date.now() / 1000);
    const assertion = (
      claims: { aud?: string; exp?: number; jti?: string } = {},
      key: CryptoKey = privateKey,
    ) =>
      new SignJWT({ jti: claims.jti ?? randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('signer')
        .setSubject('signer')
        .setAudience(claims.aud ?? `${url}/oauth/token`)
        .setIssuedAt(now)
        .setExpirationTime(claims.exp ?? now + 60)
        .sign(key);
    const send = async (jwt: string) =>
      requestToken(url, {
        ...CLIENT_CREDENTIALS,
        client_assertion_type: JWT_BEARER_ASSERTION,
        client_assertion: jwt,
      });

    const good = await send(await assertion());
    expect(good.status).toBe(200);
    const { payload } = await verify(String(good.body.access_token));
    expect(payload).toMatchObject({ sub: 'signer', tenant: 'acme', scope: 'a2a:send' });
    // The issuer is an audience too (RFC 7523 §3 item 3).
    expect((await send(await assertion({ aud: url }))).status).toBe(200);

    const other = await generateKeyPair('ES256');
    const refusals = {
      'a bad signature': await assertion({}, other.privateKey),
      'another audience': await assertion({ aud: 'https://elsewhere.example/oauth/token' }),
      'an expired assertion': await assertion({ exp: now - 120 }),
      'a long-lived assertion': await assertion({ exp: now + 3_600 }),
    };
    for (const [what, jwt] of Object.entries(refusals)) {
      const answer = await send(jwt);
      expect({ what, status: answer.status, body: answer.body }).toEqual({
        what,
        status: 401,
        body: { error: 'invalid_client' },
      });
    }

    const once = await assertion({ jti: 'only-once' });
    expect((await send(once)).status).toBe(200);
    const replayed = await send(once);
    expect(replayed.status).toBe(401);
    expect(replayed.body).toEqual({ error: 'invalid_client' });
  });

  it('keeps verifying tokens of a rotated key until they expire, and signs new ones with the new key', async () => {
    const { url, server, secret } = await startWithReader();
    const before = String(
      (await requestToken(url, CLIENT_CREDENTIALS, basic('c', secret!))).body.access_token,
    );
    const oldKid = decodeProtectedHeader(before).kid;

    const rotated = await server.keys.rotate();
    expect(rotated.kid).not.toBe(oldKid);
    const after = String(
      (await requestToken(url, CLIENT_CREDENTIALS, basic('c', secret!))).body.access_token,
    );
    expect(decodeProtectedHeader(after).kid).toBe(rotated.kid);

    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual([oldKid, rotated.kid].sort());
    for (const key of jwks.keys) {
      expect(key).not.toHaveProperty('d');
      expect(key.kid).toBe(await calculateJwkThumbprint(key, 'sha256'));
    }
    await expect(verify(before)).resolves.toBeTruthy();
    await expect(verify(after)).resolves.toBeTruthy();
    // The ring resolves keys for jwtVerify itself; a kid it never had fails.
    await expect(jwtVerify(before, server.keys.getKey)).resolves.toBeTruthy();
    const foreign = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'unknown' })
      .sign((await generateKeyPair('ES256')).privateKey);
    await expect(jwtVerify(foreign, server.keys.getKey)).rejects.toThrow();

    const listed = await server.keys.list();
    expect(listed.map((key) => [key.kid, key.active, key.published])).toEqual([
      [rotated.kid, true, true],
      [oldKid, false, true],
    ]);
  });

  it('shares one key ring between replicas of one database', async () => {
    const { server } = await start();
    let clock = Date.now();
    const replica = await createAuthorizationServer({
      client: db.client(),
      schema: db.schema(),
      issuer: served.url,
      audience: 'a2a-gateway',
      tokenTtlS: 600,
      now: () => clock,
    });
    expect((await replica.keys.active()).kid).toBe((await server.keys.active()).kid);
    // A token signed with a key the replica has not read yet is found by its kid (once the
    // few seconds that bound its reads for unknown kids have passed).
    const { kid } = await server.keys.rotate();
    clock += 10_000;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .sign((await server.keys.active()).privateKey);
    await expect(jwtVerify(token, replica.keys.getKey)).resolves.toBeTruthy();
  });

  it('publishes RFC 8414 metadata', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      issuer: url,
      token_endpoint: `${url}/oauth/token`,
      jwks_uri: `${url}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      token_endpoint_auth_signing_alg_values_supported: expect.arrayContaining(['ES256', 'EdDSA']),
      scopes_supported: ['a2a:send', 'a2a:read', 'a2a:cancel', 'a2a:admin', 'a2a:audit-pii'],
      response_types_supported: [],
    });
  });

  it('generates EdDSA keys when told to', async () => {
    const { url, server } = await start({ algorithm: 'EdDSA' });
    const { secret } = await server.clients.add({
      clientId: 'c',
      tenant: '',
      scopes: ['a2a:read'],
    });
    const token = String(
      (await requestToken(url, CLIENT_CREDENTIALS, basic('c', secret!))).body.access_token,
    );
    expect(decodeProtectedHeader(token).alg).toBe('EdDSA');
    await expect(verify(token)).resolves.toBeTruthy();
  });

  it('signs with the SIGNING_KEY_FILE key alone, PEM or JWK, and publishes only it', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'signing-key-'));
    try {
      const pem = await generateKeyPair('ES256', { extractable: true });
      const ed = await generateKeyPair('EdDSA', { extractable: true });
      await writeFile(join(folder, 'key.pem'), await exportPKCS8(pem.privateKey));
      await writeFile(join(folder, 'key.jwk'), JSON.stringify(await exportJWK(ed.privateKey)));
      for (const [file, pair] of [
        ['key.pem', pem],
        ['key.jwk', ed],
      ] as const) {
        const { url, server } = await start({ signingKeyFile: join(folder, file) });
        const kid = await calculateJwkThumbprint(await exportJWK(pair.publicKey), 'sha256');
        const { secret } = await server.clients.add({
          clientId: 'c',
          tenant: '',
          scopes: ['a2a:read'],
        });
        const token = String(
          (await requestToken(url, CLIENT_CREDENTIALS, basic('c', secret!))).body.access_token,
        );
        expect(decodeProtectedHeader(token).kid).toBe(kid);
        await expect(jwtVerify(token, pair.publicKey)).resolves.toBeTruthy();
        const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as {
          keys: JWK[];
        };
        expect(jwks.keys.map((key) => key.kid)).toEqual([kid]);
        await expect(server.keys.rotate()).rejects.toThrow(/SIGNING_KEY_FILE/);
        await served.close();
        await db.client().query({ text: `drop schema ${db.schema()} cascade`, values: [] });
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
