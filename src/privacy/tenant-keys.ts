import { randomBytes } from 'node:crypto';
import { type Migration, migrate, type SqlClient } from '../store/index.js';
import { decryptJson, encryptJson, isEncrypted } from './cipher.js';

/** One tenant's data key: `kid` names it in every value it encrypted. */
export interface DataKey {
  kid: string;
  tenant: string;
  key: Buffer;
}

/** A key that was deleted: what it encrypted cannot be read any more. */
export const SHREDDED_KEY = 'shredded';
export type KeyLookup = DataKey | typeof SHREDDED_KEY;

/**
 * Per-tenant data keys, wrapped by the master key, in `<schema>.tenant_keys` beside the
 * events, with a cache in memory (keys are few: one live key per tenant). Deleting a tenant's
 * keys (`shred`) is crypto-shredding: every value they encrypted is unreadable from then on,
 * in every instance (told by NOTIFY), while the events themselves stay.
 */
export interface TenantKeys {
  /** The tenant's live key ('' = the default tenant), made at its first use. */
  keyFor(tenant: string): Promise<DataKey>;
  /** The tenant's live key if it is held in memory: no I/O. */
  cachedKeyFor(tenant: string): DataKey | undefined;
  /** A key by its id, or `shredded` when it was deleted (or is not in this database). */
  keyById(kid: string): Promise<KeyLookup>;
  /** A key by its id if this process knows it already: no I/O. */
  cachedKeyById(kid: string): KeyLookup | undefined;
  /**
   * Deletes every key of `tenant` (the wrapped bytes are erased; the row stays, saying when)
   * and tells every instance. The next event of the tenant gets a new key. Returns how many
   * keys were deleted.
   */
  shred(tenant: string): Promise<number>;
  /** Called for each tenant shredded, here or in another instance. */
  onShred(listener: (tenant: string) => void): () => void;
  close(): Promise<void>;
}

const migrations: Migration[] = [
  {
    version: 1,
    name: 'tenant data keys',
    sql: (s) => `
      create table ${s}.tenant_keys (
        kid text primary key,
        tenant text not null,
        -- The data key encrypted by the master key; null once shredded.
        wrapped_key jsonb,
        created_at timestamptz not null default now(),
        shredded_at timestamptz
      );
      -- One live key per tenant: instances making a tenant's first key together agree on one.
      create unique index tenant_keys_live on ${s}.tenant_keys (tenant) where shredded_at is null;`,
  },
];

export async function migrateTenantKeys(client: SqlClient, schema: string): Promise<void> {
  await migrate(client, schema, { table: 'tenant_keys_migrations', migrations });
}

export async function createSqlTenantKeys(
  client: SqlClient,
  /** No master key: the keys can be shredded, not used (an operator's `privacy shred`). */
  options: { schema: string; masterKey?: Buffer },
): Promise<TenantKeys> {
  const { schema } = options;
  if (options.masterKey && options.masterKey.length !== 32)
    throw new Error('the master key must be 32 bytes');
  const master = (): Buffer => {
    if (!options.masterKey) throw new Error('ENCRYPTION_MASTER_KEY is needed to use tenant keys');
    return options.masterKey;
  };
  await migrateTenantKeys(client, schema);
  const table = `${schema}.tenant_keys`;
  const channel = `privacy_shred_${schema}`;
  const instance = randomBytes(6).toString('hex');
  const live = new Map<string, DataKey>();
  const byId = new Map<string, KeyLookup>();
  const making = new Map<string, Promise<DataKey>>();
  const listeners = new Set<(tenant: string) => void>();

  // The master key wraps each data key, bound to its id.
  const wrap = (kid: string, key: Buffer) =>
    encryptJson(master(), 'master', key.toString('base64'), `tenant-key:${kid}`);
  const unwrap = (kid: string, wrapped: unknown): Buffer => {
    if (!isEncrypted(wrapped)) throw new Error(`tenant key ${kid} is not wrapped`);
    return Buffer.from(decryptJson(master(), wrapped, `tenant-key:${kid}`) as string, 'base64');
  };

  function remember(key: DataKey): DataKey {
    live.set(key.tenant, key);
    byId.set(key.kid, key);
    return key;
  }

  function forget(tenant: string): void {
    live.delete(tenant);
    for (const [kid, key] of byId)
      if (key !== SHREDDED_KEY && key.tenant === tenant) byId.set(kid, SHREDDED_KEY);
    for (const listener of listeners) listener(tenant);
  }

  async function readLive(tenant: string): Promise<DataKey | undefined> {
    const [row] = await client.query<{ kid: string; wrapped_key: unknown }>({
      text: `select kid, wrapped_key from ${table} where tenant = $1 and shredded_at is null`,
      values: [tenant],
    });
    return row ? { kid: row.kid, tenant, key: unwrap(row.kid, row.wrapped_key) } : undefined;
  }

  async function make(tenant: string): Promise<DataKey> {
    const found = await readLive(tenant);
    if (found) return remember(found);
    const kid = randomBytes(12).toString('base64url');
    const key = randomBytes(32);
    await client.query({
      text: `insert into ${table} (kid, tenant, wrapped_key) values ($1, $2, $3::jsonb)
        on conflict (tenant) where shredded_at is null do nothing`,
      values: [kid, tenant, JSON.stringify(wrap(kid, key))],
    });
    // Another instance may have made it first: the row that is there wins.
    const stored = await readLive(tenant);
    if (!stored) throw new Error(`could not make a data key for tenant ${JSON.stringify(tenant)}`);
    return remember(stored);
  }

  const unlisten = await client.listen(channel, (payload) => {
    // An empty payload: the connection was lost and is back; a shred may have been missed.
    if (payload === '') {
      live.clear();
      byId.clear();
      return;
    }
    const at = payload.indexOf(':');
    if (payload.slice(0, at) !== instance) forget(payload.slice(at + 1));
  });

  return {
    keyFor(tenant) {
      const held = live.get(tenant);
      if (held) return Promise.resolve(held);
      let pending = making.get(tenant);
      if (!pending) {
        pending = make(tenant).finally(() => making.delete(tenant));
        making.set(tenant, pending);
      }
      return pending;
    },
    cachedKeyFor: (tenant) => live.get(tenant),
    async keyById(kid) {
      const held = byId.get(kid);
      if (held) return held;
      const [row] = await client.query<{ tenant: string; wrapped_key: unknown }>({
        text: `select tenant, wrapped_key from ${table} where kid = $1`,
        values: [kid],
      });
      // No row: not a key of this database, as unreadable as a deleted one.
      const found: KeyLookup = row?.wrapped_key
        ? { kid, tenant: row.tenant, key: unwrap(kid, row.wrapped_key) }
        : SHREDDED_KEY;
      byId.set(kid, found);
      return found;
    },
    cachedKeyById: (kid) => byId.get(kid),
    async shred(tenant) {
      const rows = await client.query<{ kid: string }>({
        text: `update ${table} set wrapped_key = null, shredded_at = now()
          where tenant = $1 and shredded_at is null returning kid`,
        values: [tenant],
      });
      await client.query({
        text: 'select pg_notify($1, $2)',
        values: [channel, `${instance}:${tenant}`],
      });
      forget(tenant);
      return rows.length;
    },
    onShred(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await unlisten().catch(() => {});
    },
  };
}
