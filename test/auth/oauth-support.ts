import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createPgClient, createPgliteClient, type SqlClient } from '../../src/store/index.js';
import { DATABASE_URL, type GatewayDatabase, uniqueSchema } from '../support/services.js';

/**
 * One client per suite (an in-memory PGlite, or a PostgreSQL pool), a fresh schema per test,
 * dropped after it. Call inside a `describeEachDatabase` body.
 */
export function useDatabase(database: GatewayDatabase): {
  client: () => SqlClient;
  schema: () => string;
} {
  let client: SqlClient;
  let schema = '';
  beforeAll(async () => {
    client =
      database === 'pglite'
        ? createPgliteClient(await PGlite.create(), { owned: true })
        : createPgClient({ connectionString: DATABASE_URL!, max: 4 });
  });
  afterAll(async () => {
    await client?.close();
  });
  afterEach(async () => {
    if (schema) await client.query({ text: `drop schema if exists ${schema} cascade`, values: [] });
    schema = '';
  });
  return {
    client: () => client,
    schema: () => {
      schema ||= uniqueSchema('oauth');
      return schema;
    },
  };
}
