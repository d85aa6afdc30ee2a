import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKeyFile } from '../../src/auth/signing-key-material.js';

describe('SIGNING_KEY_FILE', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'key-file-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it.each(['ES256', 'ES384', 'ES512', 'EdDSA', 'RS256'])(
    'reads a %s PEM PKCS#8 key, its kid the RFC 7638 thumbprint',
    async (alg) => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const path = join(folder, `${alg}.pem`);
      await writeFile(path, await exportPKCS8(privateKey));
      const key = await readKeyFile(path);
      expect(key.alg).toBe(alg);
      expect(key.kid).toBe(await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256'));
      expect(key.publicJwk).not.toHaveProperty('d');
      expect(key.publicJwk).toMatchObject({ kid: key.kid, alg, use: 'sig' });
    },
  );

  it('refuses a file with no private key, naming the file', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const path = join(folder, 'public.jwk');
    await writeFile(path, JSON.stringify(await exportJWK(publicKey)));
    await expect(readKeyFile(path)).rejects.toThrow(`SIGNING_KEY_FILE ${path}: `);
  });
});
