import { exportJWK, generateKeyPair } from 'jose';
import { expect, it } from 'vitest';
import { createSqlOAuthClients, InvalidOAuthClientError } from '../../src/auth/index.js';
import { describeEachDatabase } from '../support/services.js';
import { useDatabase } from './oauth-support.js';

describeEachDatabase('OAuth clients on $name', ({ database }) => {
  const db = useDatabase(database);
  const clients = () => createSqlOAuthClients(db.client(), db.schema());

  it('gives a new client a 32-byte secret once, and keeps only its hash', async () => {
    const registry = await clients();
    const { client, secret } = await registry.add({
      clientId: 'billing',
      tenant: 'acme',
      scopes: ['a2a:send', 'a2a:read', 'a2a:send'],
    });
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(client).toMatchObject({
      clientId: 'billing',
      tenant: 'acme',
      scopes: ['a2a:send', 'a2a:read'],
      authMethod: 'client_secret',
      jwks: null,
    });
    const rows = await db.client().query<{ secret_hash: string }>({
      text: `select secret_hash from ${db.schema()}.oauth_clients`,
      values: [],
    });
    expect(rows[0]!.secret_hash).not.toContain(secret!);
    expect(await registry.authenticate('billing', secret!)).toMatchObject({ clientId: 'billing' });
    expect(await registry.authenticate('billing', `${secret}x`)).toBeUndefined();
    expect(await registry.authenticate('nobody', secret!)).toBeUndefined();
  });

  it('lists clients not removed, and never reuses a removed id', async () => {
    const registry = await clients();
    await registry.add({ clientId: 'b', tenant: '', scopes: ['a2a:read'] });
    await registry.add({ clientId: 'a', tenant: '', scopes: ['a2a:read'] });
    expect((await registry.list()).map((client) => client.clientId)).toEqual(['a', 'b']);
    expect(await registry.remove('a')).toBe(true);
    expect(await registry.remove('a')).toBe(false);
    expect((await registry.list()).map((client) => client.clientId)).toEqual(['b']);
    expect(await registry.get('a')).toBeUndefined();
    await expect(registry.add({ clientId: 'a', tenant: '', scopes: ['a2a:read'] })).rejects.toThrow(
      /exists or existed/,
    );
  });

  it('takes public keys for private_key_jwt instead of a secret, and refuses private ones', async () => {
    const registry = await clients();
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const { client, secret } = await registry.add({
      clientId: 'signer',
      tenant: '',
      scopes: ['a2a:send'],
      jwks: { keys: [await exportJWK(publicKey)] },
    });
    expect(secret).toBeNull();
    expect(client.authMethod).toBe('private_key_jwt');
    // A client with keys has no secret to guess.
    expect(await registry.authenticate('signer', '')).toBeUndefined();
    await expect(
      registry.add({
        clientId: 'leaky',
        tenant: '',
        scopes: ['a2a:send'],
        jwks: { keys: [await exportJWK(privateKey)] },
      }),
    ).rejects.toThrow(/public keys only/);
    await expect(
      registry.add({ clientId: 'empty', tenant: '', scopes: ['a2a:send'], jwks: { keys: [] } }),
    ).rejects.toThrow(InvalidOAuthClientError);
  });

  it('refuses a bad id, tenant or scope', async () => {
    const registry = await clients();
    for (const client of [
      { clientId: 'has space', tenant: '', scopes: ['a2a:read'] },
      { clientId: 'ok', tenant: '../x', scopes: ['a2a:read'] },
      { clientId: 'ok', tenant: '', scopes: [] },
      { clientId: 'ok', tenant: '', scopes: ['two words'] },
    ]) {
      await expect(registry.add(client)).rejects.toThrow(InvalidOAuthClientError);
    }
    expect(await registry.list()).toEqual([]);
  });
});
