import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { CardSigningKey } from '../../src/a2a/index.js';

/** A fresh ES256 key for signing cards, and its public half as a JWKS publishes it. */
export async function aCardSigningKey(
  kid = 'card-key-1',
): Promise<{ key: CardSigningKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { key: { kid, alg: 'ES256', privateKey }, jwk };
}

/** JSON documents served on loopback by path, counting the fetches of each. */
export async function serveJson(documents: Record<string, unknown>) {
  const fetches = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    if (!Object.hasOwn(documents, path)) {
      res.writeHead(404).end();
      return;
    }
    fetches.set(path, (fetches.get(path) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(documents[path]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fetches: (path: string) => fetches.get(path) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A JWKS served on loopback at `<base>/.well-known/jwks.json`, counting its fetches. */
export async function serveJwks(keys: JWK[]) {
  const path = '/.well-known/jwks.json';
  const served = await serveJson({ [path]: { keys } });
  return {
    ...served,
    url: `${served.base}${path}`,
    get fetches() {
      return served.fetches(path);
    },
  };
}

/** The official client's key lookup: the JWKS at the signature's `jku`, the key by `kid`. */
export async function keyFromJku(kid: string, jku?: string): Promise<JWK> {
  if (!jku) throw new Error('no jku');
  const { keys } = (await (await fetch(jku)).json()) as { keys: JWK[] };
  const key = keys.find((candidate) => candidate.kid === kid);
  if (!key) throw new Error(`no key ${kid} at ${jku}`);
  return key;
}
