import { migrate, type SqlClient } from '../store/index.js';
import { OAUTH_CLIENT_MIGRATIONS } from './oauth-clients.js';
import { SIGNING_KEY_MIGRATIONS } from './signing-keys.js';
import { API_KEY_MIGRATIONS } from './sql-api-keys.js';

/** Every table of `auth/`, without making anything in them (no first signing key). */
export async function migrateAuthTables(client: SqlClient, schema: string): Promise<void> {
  for (const set of [API_KEY_MIGRATIONS, OAUTH_CLIENT_MIGRATIONS, SIGNING_KEY_MIGRATIONS])
    await migrate(client, schema, set);
}
