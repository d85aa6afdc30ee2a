import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.js';

/**
 * API keys look like `a2a_<id>_<secret>`: the id (12 hex digits) finds the stored record, the
 * secret (32 random bytes, base64url) proves possession. Only a SHA-256 of the secret is
 * stored: the secret is 256 random bits, so a slow password hash would buy nothing.
 */
const KEY_FORMAT = /^a2a_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyRecord {
  id: string;
  secretHash: string;
  tenant: string;
  principal: string;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
}

/** Where API keys are kept (sql-api-keys.ts; tests may use a Map). */
export interface ApiKeyStore {
  insert(record: ApiKeyRecord): Promise<void>;
  find(id: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; false when there is no such key. */
  revoke(id: string, at: Date): Promise<boolean>;
}

export interface NewApiKey {
  tenant: string;
  principal: string;
  scopes: readonly string[];
}

/** Makes a key: the record to store and the key itself, to be shown once. */
export function mintApiKey(
  spec: NewApiKey,
  now = new Date(),
): { key: string; record: ApiKeyRecord } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    key: `a2a_${id}_${secret}`,
    record: {
      id,
      secretHash: hashSecret(secret),
      tenant: spec.tenant,
      principal: spec.principal,
      scopes: [...new Set(spec.scopes)],
      createdAt: now.toISOString(),
      revokedAt: null,
    },
  };
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export interface ApiKeyVerifier {
  /** The key's principal, or undefined for a malformed, unknown, wrong or revoked key. */
  verify(key: string): Promise<Principal | undefined>;
  /** The principal of a key accepted recently, without waiting; else undefined. */
  peek(key: string): Principal | undefined;
  /** Forgets remembered keys (one, or all): after a revocation. */
  forget(id?: string): void;
}

/**
 * Checks keys against the store. Records are remembered for `cacheMs` at most; a revocation
 * through this process forgets its key at once, and other processes hear of revocations
 * through `forget` (the gateway calls it on a NOTIFY), so `cacheMs` only bounds a missed one.
 */
export function createApiKeyVerifier(
  store: ApiKeyStore,
  options: { cacheMs?: number; now?: () => number } = {},
): ApiKeyVerifier {
  const cacheMs = options.cacheMs ?? 30_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { record: ApiKeyRecord | undefined; until: number }>();
  // Keys accepted, by the whole key: a hit skips parsing and hashing. Forgotten with the record.
  const accepted = new Map<string, { id: string; principal: Principal; until: number }>();

  async function recordOf(id: string): Promise<ApiKeyRecord | undefined> {
    const hit = cache.get(id);
    if (hit && now() < hit.until) return hit.record;
    const record = await store.find(id);
    if (cache.size >= 10_000) cache.delete(cache.keys().next().value!);
    cache.set(id, { record, until: now() + cacheMs });
    return record;
  }

  function peek(key: string): Principal | undefined {
    const hit = accepted.get(key);
    return hit && now() < hit.until ? hit.principal : undefined;
  }

  return {
    peek,
    async verify(key) {
      const known = peek(key);
      if (known) return known;
      const match = KEY_FORMAT.exec(key);
      if (!match) return undefined;
      const record = await recordOf(match[1]!);
      if (!record || record.revokedAt) return undefined;
      const given = Buffer.from(hashSecret(match[2]!));
      const stored = Buffer.from(record.secretHash);
      if (given.length !== stored.length || !timingSafeEqual(given, stored)) return undefined;
      const principal: Principal = {
        name: record.principal,
        tenant: record.tenant,
        scopes: new Set(record.scopes),
        via: 'api-key',
      };
      if (accepted.size >= 10_000) accepted.delete(accepted.keys().next().value!);
      accepted.set(key, { id: record.id, principal, until: cache.get(record.id)!.until });
      return principal;
    },
    forget(id) {
      if (id === undefined) {
        cache.clear();
        accepted.clear();
        return;
      }
      cache.delete(id);
      for (const [key, hit] of accepted) if (hit.id === id) accepted.delete(key);
    },
  };
}
