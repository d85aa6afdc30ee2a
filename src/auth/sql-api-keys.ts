import type { Migration, MigrationSet, SqlClient } from '../store/index.js';
import { migrate } from '../store/index.js';
import type { ApiKeyRecord, ApiKeyStore } from './api-keys.js';

const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'api keys',
    sql: (s) => `
create table ${s}.auth_api_keys (
  key_id text primary key,
  secret_hash text not null,
  tenant text not null,
  principal text not null,
  scopes text[] not null,
  created_at timestamptz not null,
  revoked_at timestamptz
);`,
  },
];

/** The channel a revocation is announced on, so every instance forgets the key at once. */
export function apiKeysChannel(schema: string): string {
  return `auth_api_keys_${schema}`;
}

interface Row extends Record<string, unknown> {
  key_id: string;
  secret_hash: string;
  tenant: string;
  principal: string;
  scopes: string[];
  created_at: Date | string;
  revoked_at: Date | string | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.key_id,
    secretHash: row.secret_hash,
    tenant: row.tenant,
    principal: row.principal,
    scopes: row.scopes,
    createdAt: iso(row.created_at),
    revokedAt: row.revoked_at === null ? null : iso(row.revoked_at),
  };
}

/** API keys in a table beside the events (PostgreSQL or PGlite alike). */
export async function createSqlApiKeyStore(
  client: SqlClient,
  schema: string,
): Promise<ApiKeyStore> {
  await migrate(client, schema, API_KEY_MIGRATIONS);
  const columns = 'key_id, secret_hash, tenant, principal, scopes, created_at, revoked_at';
  return {
    async insert(record) {
      await client.query({
        text: `insert into ${schema}.auth_api_keys (${columns}) values ($1, $2, $3, $4, $5, $6, $7)`,
        values: [
          record.id,
          record.secretHash,
          record.tenant,
          record.principal,
          record.scopes,
          record.createdAt,
          record.revokedAt,
        ],
      });
    },
    async find(id) {
      const rows = await client.query<Row>({
        text: `select ${columns} from ${schema}.auth_api_keys where key_id = $1`,
        values: [id],
      });
      return rows[0] ? toRecord(rows[0]) : undefined;
    },
    async list() {
      const rows = await client.query<Row>({
        text: `select ${columns} from ${schema}.auth_api_keys order by created_at, key_id`,
        values: [],
      });
      return rows.map(toRecord);
    },
    async revoke(id, at) {
      const rows = await client.query<{ key_id: string }>({
        text: `update ${schema}.auth_api_keys set revoked_at = coalesce(revoked_at, $2)
          where key_id = $1 returning key_id`,
        values: [id, at.toISOString()],
      });
      if (rows.length === 0) return false;
      await client.query({
        text: 'select pg_notify($1, $2)',
        values: [apiKeysChannel(schema), id],
      });
      return true;
    },
  };
}

/** This file's tables, as `migrate` takes them (the CLI's `migrate` applies them too). */
export const API_KEY_MIGRATIONS: MigrationSet = { table: 'auth_api_keys_migrations', migrations };
