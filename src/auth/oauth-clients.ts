import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { type Migration, type MigrationSet, migrate, type SqlClient } from '../store/index.js';
import { defaultAlgorithm } from './signing-key-material.js';

export interface OAuthClient {
  clientId: string;
  /** The tenant its tokens are bound to ('' is the default tenant). */
  tenant: string;
  /** What it may ask for; a token request naming none gets them all. */
  scopes: string[];
  /** A secret (`client_secret_basic`/`_post`), or a signed assertion (`private_key_jwt`). */
  authMethod: 'client_secret' | 'private_key_jwt';
  /** The public keys its assertions are signed with (`private_key_jwt` only). */
  jwks: JSONWebKeySet | null;
  /** ISO 8601. */
  createdAt: string;
}

export interface NewOAuthClient {
  clientId: string;
  tenant: string;
  scopes: readonly string[];
  /** Public keys for `private_key_jwt`; without them the client gets a secret. */
  jwks?: JSONWebKeySet;
}

/** The OAuth clients the built-in authorization server knows (client credentials only). */
export interface OAuthClients {
  /**
   * Registers a client. Its secret (none with a JWKS) is returned here and never again: only a
   * hash is kept. Throws `InvalidOAuthClientError` for a bad field or an id used before.
   */
  add(client: NewOAuthClient): Promise<{ client: OAuthClient; secret: string | null }>;
  /** Clients not removed, by id. */
  list(): Promise<OAuthClient[]>;
  /** A client not removed. */
  get(clientId: string): Promise<OAuthClient | undefined>;
  /** False when there was no such client. Its id is not reused. */
  remove(clientId: string): Promise<boolean>;
  /** The client if `secret` is its secret, else undefined, in a time that does not tell why. */
  authenticate(clientId: string, secret: string): Promise<OAuthClient | undefined>;
}

export class InvalidOAuthClientError extends Error {
  readonly code = 'INVALID_OAUTH_CLIENT';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOAuthClientError';
  }
}

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;
/** As the routes take a tenant from a path segment. */
const TENANT = /^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,127})?$/;
/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const MAX_CLIENT_KEYS = 10;

const migrations: Migration[] = [
  {
    version: 1,
    name: 'oauth clients',
    sql: (s) => `create table ${s}.oauth_clients (
        client_id text primary key,
        secret_hash text,
        jwks jsonb,
        tenant text not null,
        scopes text[] not null,
        created_at timestamptz not null default now(),
        removed_at timestamptz,
        check ((secret_hash is null) <> (jwks is null))
      );`,
  },
];

type ClientRow = {
  client_id: string;
  secret_hash: string | null;
  jwks: JSONWebKeySet | null;
  tenant: string;
  scopes: string[];
  created_at: Date | string;
};

// Secrets are 32 random bytes: a fast hash resists guessing as well as a slow one would.
const hashOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();
/** Compared against when there is no hash, so an unknown client costs what a known one does. */
const NO_HASH = hashOf(randomBytes(32).toString('base64url'));

export async function createSqlOAuthClients(
  client: SqlClient,
  schema: string,
): Promise<OAuthClients> {
  await migrate(client, schema, OAUTH_CLIENT_MIGRATIONS);
  const table = `${schema}.oauth_clients`;
  const columns = 'client_id, secret_hash, jwks, tenant, scopes, created_at';

  async function row(clientId: string): Promise<ClientRow | undefined> {
    const rows = await client.query<ClientRow>({
      text: `select ${columns} from ${table} where client_id = $1 and removed_at is null`,
      values: [clientId],
    });
    return rows[0];
  }

  return {
    async add(input) {
      const { clientId, tenant } = input;
      if (!CLIENT_ID.test(clientId))
        throw new InvalidOAuthClientError(
          `client id ${JSON.stringify(clientId)}: use 1 to 128 of A-Z a-z 0-9 . _ ~ -`,
        );
      if (!TENANT.test(tenant))
        throw new InvalidOAuthClientError(`tenant ${JSON.stringify(tenant)} is not a tenant name`);
      const scopes = [...new Set(input.scopes)];
      const badScope = scopes.find((scope) => !SCOPE_TOKEN.test(scope));
      if (scopes.length === 0 || badScope !== undefined)
        throw new InvalidOAuthClientError(
          badScope === undefined
            ? 'a client needs a scope'
            : `bad scope ${JSON.stringify(badScope)}`,
        );
      const jwks = input.jwks ? await publicKeySet(input.jwks) : null;
      const secret = jwks ? null : randomBytes(32).toString('base64url');
      const rows = await client.query<ClientRow>({
        text: `insert into ${table} (client_id, secret_hash, jwks, tenant, scopes)
          values ($1, $2, $3::jsonb, $4, $5::text[])
          on conflict (client_id) do nothing returning ${columns}`,
        values: [
          clientId,
          secret === null ? null : hashOf(secret).toString('base64url'),
          jwks === null ? null : JSON.stringify(jwks),
          tenant,
          scopes,
        ],
      });
      if (!rows[0])
        throw new InvalidOAuthClientError(
          `client ${clientId} exists or existed: choose another id`,
        );
      return { client: clientOf(rows[0]), secret };
    },
    async list() {
      const rows = await client.query<ClientRow>({
        text: `select ${columns} from ${table} where removed_at is null order by client_id`,
        values: [],
      });
      return rows.map(clientOf);
    },
    async get(clientId) {
      const found = await row(clientId);
      return found && clientOf(found);
    },
    async remove(clientId) {
      const rows = await client.query({
        text: `update ${table} set removed_at = now()
          where client_id = $1 and removed_at is null returning client_id`,
        values: [clientId],
      });
      return rows.length > 0;
    },
    async authenticate(clientId, secret) {
      const found = await row(clientId);
      const stored = found?.secret_hash ? Buffer.from(found.secret_hash, 'base64url') : NO_HASH;
      const matches = timingSafeEqual(hashOf(secret), stored);
      return matches && found?.secret_hash ? clientOf(found) : undefined;
    },
  };
}

function clientOf(row: ClientRow): OAuthClient {
  return {
    clientId: row.client_id,
    tenant: row.tenant,
    scopes: row.scopes,
    authMethod: row.jwks ? 'private_key_jwt' : 'client_secret',
    jwks: row.jwks,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** The set's keys if each is a public signing key jose can import; private keys are refused. */
async function publicKeySet(jwks: JSONWebKeySet): Promise<JSONWebKeySet> {
  const keys: unknown = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_CLIENT_KEYS)
    throw new InvalidOAuthClientError(`a JWKS needs 1 to ${MAX_CLIENT_KEYS} keys in "keys"`);
  for (const [i, key] of (keys as JWK[]).entries()) {
    if (typeof key !== 'object' || key === null || 'd' in key || 'k' in key)
      throw new InvalidOAuthClientError(`JWKS key ${i}: give public keys only`);
    try {
      await importJWK(key, key.alg ?? defaultAlgorithm(key.kty, key.crv));
    } catch (error) {
      throw new InvalidOAuthClientError(`JWKS key ${i}: ${(error as Error).message}`);
    }
  }
  return { keys: keys as JWK[] };
}

/** This file's tables, as `migrate` takes them (the CLI's `migrate` applies them too). */
export const OAUTH_CLIENT_MIGRATIONS: MigrationSet = {
  table: 'oauth_client_migrations',
  migrations,
};
