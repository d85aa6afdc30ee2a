import {
  type CryptoKey,
  errors,
  importJWK,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { type Migration, type MigrationSet, migrate, type SqlClient } from '../store/index.js';
import {
  generateKeyMaterial,
  type KeyMaterial,
  readKeyFile,
  type SigningAlgorithm,
} from './signing-key-material.js';

export interface ActiveSigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
}

export interface SigningKeyInfo {
  kid: string;
  alg: string;
  /** ISO 8601. */
  createdAt: string;
  retiredAt: string | null;
  /** The key new tokens (and cards) are signed with. */
  active: boolean;
  /** In the JWKS: active, or retired recently enough that what it signed may be unexpired. */
  published: boolean;
  source: 'database' | 'file';
}

/**
 * The keys this gateway signs with. Replicas sharing a database share the ring; each reads it
 * again every half minute, and at once for a token whose `kid` it does not know yet.
 */
export interface SigningKeyRing {
  /** The key to sign with now. */
  active(): Promise<ActiveSigningKey>;
  /** What `/.well-known/jwks.json` serves: every published key, public members only. */
  publicJwks(): Promise<JSONWebKeySet>;
  /**
   * A jose key resolver for what this gateway signed: `jwtVerify(token, ring.getKey, …)`.
   * Rejects (`JWKSNoMatchingKey`) a `kid` or `alg` of no published key.
   */
  getKey(header: JWSHeaderParameters): Promise<CryptoKey>;
  /**
   * Makes a new key active; the old one stays published until what it signed has expired.
   * Throws when the key comes from `SIGNING_KEY_FILE`: replacing the file rotates it.
   */
  rotate(): Promise<SigningKeyInfo>;
  /** Every key, newest first. */
  list(): Promise<SigningKeyInfo[]>;
}

export interface SigningKeyRingOptions {
  client: SqlClient;
  schema: string;
  /** Of the keys the ring generates (the first, and each rotation). Default ES256. */
  algorithm?: SigningAlgorithm;
  /** The longest anything signed stays valid (the token TTL): how long a retired key is published. */
  maxLifetimeS: number;
  /** `SIGNING_KEY_FILE`: that key alone is used and published, the table is not read. */
  keyFile?: string;
  now?: () => number;
}

/** How stale the ring's copy of the table may be when it signs... */
const SIGNING_MAX_AGE_MS = 30_000;
/** ...when it publishes the JWKS, or meets an unknown `kid` (rate-limits junk tokens). */
const PUBLISHING_MAX_AGE_MS = 5_000;
/**
 * A replica signs with a key up to SIGNING_MAX_AGE_MS after another retired it, and clocks
 * differ: a retired key stays published this much longer than the longest lifetime.
 */
const GRACE_MARGIN_MS = SIGNING_MAX_AGE_MS + 60_000;

const migrations: Migration[] = [
  {
    version: 1,
    name: 'signing keys',
    // The private JWK is stored as is: whoever reads this table can already write the events.
    sql: (s) => `create table ${s}.auth_signing_keys (
        kid text primary key,
        alg text not null,
        private_jwk jsonb not null,
        public_jwk jsonb not null,
        created_at timestamptz not null default now(),
        retired_at timestamptz
      );
      create unique index auth_signing_keys_one_active on ${s}.auth_signing_keys ((true))
        where retired_at is null;`,
  },
];

interface StoredKey extends KeyMaterial {
  createdAt: Date;
  retiredAt: Date | null;
}

type KeyRow = {
  kid: string;
  alg: string;
  private_jwk: KeyMaterial['privateJwk'];
  public_jwk: KeyMaterial['publicJwk'];
  created_at: Date | string;
  retired_at: Date | string | null;
};

/** The ring in the gateway's database; generates its first key on first start. */
export async function createSigningKeyRing(
  options: SigningKeyRingOptions,
): Promise<SigningKeyRing> {
  const { client, schema } = options;
  const algorithm = options.algorithm ?? 'ES256';
  const now = options.now ?? Date.now;
  const graceMs = options.maxLifetimeS * 1_000 + GRACE_MARGIN_MS;
  await migrate(client, schema, SIGNING_KEY_MIGRATIONS);
  const table = `${schema}.auth_signing_keys`;
  const fileKey = options.keyFile ? await readKeyFile(options.keyFile) : undefined;
  const fileReadAt = new Date(now());

  /** Under a lock, so replicas starting or rotating together make one key, not two. */
  const locked = <T>(work: (query: SqlClient['query']) => Promise<T>) =>
    client.transaction(async (tx) => {
      await tx.query({ text: 'select pg_advisory_xact_lock(hashtext($1))', values: [table] });
      return work((query) => tx.query(query));
    });

  async function insert(query: SqlClient['query']): Promise<void> {
    const key = await generateKeyMaterial(algorithm);
    await query({
      text: `insert into ${table} (kid, alg, private_jwk, public_jwk) values ($1, $2, $3::jsonb, $4::jsonb)`,
      values: [key.kid, key.alg, JSON.stringify(key.privateJwk), JSON.stringify(key.publicJwk)],
    });
  }

  if (!fileKey) {
    await locked(async (query) => {
      const active = await query({
        text: `select 1 from ${table} where retired_at is null`,
        values: [],
      });
      if (active.length === 0) await insert(query);
    });
  }

  let keys: StoredKey[] = [];
  let loadedAt = Number.NEGATIVE_INFINITY;
  let loading: Promise<void> | undefined;
  const imported = new Map<string, Promise<CryptoKey>>();

  async function load(): Promise<void> {
    if (fileKey) {
      keys = [{ ...fileKey, createdAt: fileReadAt, retiredAt: null }];
      loadedAt = Number.POSITIVE_INFINITY;
      return;
    }
    const rows = await client.query<KeyRow>({
      text: `select kid, alg, private_jwk, public_jwk, created_at, retired_at from ${table}
        order by created_at desc, kid`,
      values: [],
    });
    keys = rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      privateJwk: row.private_jwk,
      publicJwk: row.public_jwk,
      createdAt: new Date(row.created_at),
      retiredAt: row.retired_at === null ? null : new Date(row.retired_at),
    }));
    loadedAt = now();
  }

  /** The table as of at most `maxAgeMs` ago; concurrent callers share one read. */
  async function current(maxAgeMs: number): Promise<StoredKey[]> {
    if (now() - loadedAt > maxAgeMs) {
      loading ??= load().finally(() => {
        loading = undefined;
      });
      await loading;
    }
    return keys;
  }

  const isPublished = (key: StoredKey) =>
    key.retiredAt === null || key.retiredAt.getTime() + graceMs > now();

  function importOnce(key: StoredKey, which: 'private' | 'public'): Promise<CryptoKey> {
    const id = `${which}:${key.kid}`;
    let found = imported.get(id);
    if (!found) {
      const jwk = which === 'private' ? key.privateJwk : key.publicJwk;
      found = importJWK(jwk, key.alg) as Promise<CryptoKey>;
      imported.set(id, found);
    }
    return found;
  }

  const infoOf = (key: StoredKey): SigningKeyInfo => ({
    kid: key.kid,
    alg: key.alg,
    createdAt: key.createdAt.toISOString(),
    retiredAt: key.retiredAt?.toISOString() ?? null,
    active: key.retiredAt === null,
    published: isPublished(key),
    source: fileKey ? 'file' : 'database',
  });

  async function find(header: JWSHeaderParameters): Promise<StoredKey | undefined> {
    const match = (list: StoredKey[]) =>
      list.find((key) => key.kid === header.kid && key.alg === header.alg && isPublished(key));
    // A kid not seen yet may be another replica's new key: read again (rate-limited).
    return match(await current(SIGNING_MAX_AGE_MS)) ?? match(await current(PUBLISHING_MAX_AGE_MS));
  }

  await load();
  return {
    async active() {
      const key = (await current(SIGNING_MAX_AGE_MS)).find((k) => k.retiredAt === null);
      if (!key) throw new Error(`no active signing key in ${table}`);
      return { kid: key.kid, alg: key.alg, privateKey: await importOnce(key, 'private') };
    },
    async publicJwks() {
      const list = await current(PUBLISHING_MAX_AGE_MS);
      return { keys: list.filter(isPublished).map((key) => key.publicJwk) };
    },
    async getKey(header) {
      const key = await find(header);
      if (!key) throw new errors.JWKSNoMatchingKey();
      return importOnce(key, 'public');
    },
    async rotate() {
      if (fileKey) {
        throw new Error(
          'the signing key comes from SIGNING_KEY_FILE: replace the file to rotate it',
        );
      }
      await locked(async (query) => {
        await query({
          text: `update ${table} set retired_at = now() where retired_at is null`,
          values: [],
        });
        await insert(query);
      });
      await load();
      return infoOf(keys.find((key) => key.retiredAt === null)!);
    },
    async list() {
      return (await current(0)).map(infoOf);
    },
  };
}

/** This file's tables, as `migrate` takes them (the CLI's `migrate` applies them too). */
export const SIGNING_KEY_MIGRATIONS: MigrationSet = {
  table: 'auth_signing_key_migrations',
  migrations,
};
