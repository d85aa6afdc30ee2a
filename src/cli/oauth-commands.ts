import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  createSigningKeyRing,
  createSqlOAuthClients,
  type NewOAuthClient,
  type OAuthClients,
  type SigningKeyRing,
} from '../auth/index.js';
import type { Config } from '../config/index.js';
import type { SqlClient } from '../store/index.js';

/** The configured database, opened as the gateway opens it (main.ts knows how). */
export interface OperatorDatabase {
  config: Config;
  client: SqlClient;
  close(): Promise<void>;
}

/**
 * `clients add|list|remove` and `signing-keys list|rotate`: the built-in authorization
 * server's clients and keys, in the configured database.
 */
export function registerOAuthCommands(
  program: Command,
  open: () => Promise<OperatorDatabase>,
): void {
  const withClients = async <T>(work: (clients: OAuthClients) => Promise<T>) => {
    const db = await open();
    try {
      return await work(await createSqlOAuthClients(db.client, db.config.DATABASE_SCHEMA));
    } finally {
      await db.close();
    }
  };
  const withKeys = async <T>(work: (keys: SigningKeyRing) => Promise<T>) => {
    const db = await open();
    try {
      const { config } = db;
      const keys = await createSigningKeyRing({
        client: db.client,
        schema: config.DATABASE_SCHEMA,
        algorithm: config.SIGNING_KEY_ALG,
        maxLifetimeS: config.AUTH_TOKEN_TTL_S,
        ...(config.SIGNING_KEY_FILE ? { keyFile: config.SIGNING_KEY_FILE } : {}),
      });
      return await work(keys);
    } finally {
      await db.close();
    }
  };

  const clients = program
    .command('clients')
    .description('OAuth clients of the built-in authorization server');
  clients
    .command('add')
    .description('register a client; prints its secret once (none with --jwks-file)')
    .argument('<clientId>', 'the client id (A-Z a-z 0-9 . _ ~ -)')
    .option('--tenant <tenant>', "the tenant its tokens are bound to ('' is the default)", '')
    .requiredOption('--scopes <scopes>', 'what it may ask for, comma separated: a2a:send,a2a:read')
    .option('--jwks-file <file>', 'its public keys (JWKS or one JWK) for private_key_jwt')
    .option('--json', 'print the client and secret as JSON')
    .action(
      async (
        clientId: string,
        options: { tenant: string; scopes: string; jwksFile?: string; json?: boolean },
      ) => {
        const jwks = options.jwksFile ? await readJwks(options.jwksFile) : undefined;
        const scopes = options.scopes.split(/[\s,]+/).filter(Boolean);
        const { client, secret } = await withClients((registry) =>
          registry.add({ clientId, tenant: options.tenant, scopes, ...(jwks ? { jwks } : {}) }),
        );
        if (options.json) {
          console.log(JSON.stringify({ client, secret }, null, 2));
          return;
        }
        console.log(
          `client ${client.clientId} added (tenant ${client.tenant || "'' (default)"}, scopes ${client.scopes.join(' ')})`,
        );
        console.log(
          secret === null
            ? 'it authenticates with private_key_jwt, by the keys given'
            : `client secret (shown this once; store it now): ${secret}`,
        );
      },
    );
  clients
    .command('list')
    .description('list the clients not removed')
    .option('--json', 'print them as JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await withClients((registry) => registry.list());
      if (options.json) {
        console.log(JSON.stringify(list, null, 2));
        return;
      }
      const rows = list.map((c) => [
        c.clientId,
        c.tenant || '-',
        c.authMethod,
        c.scopes.join(' '),
        c.createdAt,
      ]);
      console.log(textTable(['client', 'tenant', 'auth', 'scopes', 'created'], rows));
    });
  clients
    .command('remove')
    .description('remove a client: it gets no new tokens (those it has run until they expire)')
    .argument('<clientId>', 'the client id')
    .action(async (clientId: string) => {
      if (await withClients((registry) => registry.remove(clientId))) {
        console.log(`client ${clientId} removed`);
      } else {
        console.error(`no client ${clientId}`);
        process.exitCode = 1;
      }
    });

  const keys = program.command('signing-keys').description('keys the gateway signs tokens with');
  keys
    .command('list')
    .description('list the signing keys, newest first (makes the first one if there is none)')
    .option('--json', 'print them as JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await withKeys((ring) => ring.list());
      if (options.json) {
        console.log(JSON.stringify(list, null, 2));
        return;
      }
      const rows = list.map((k) => [
        k.kid,
        k.alg,
        k.active ? 'active' : k.published ? 'published' : 'retired',
        k.createdAt,
        k.retiredAt ?? '-',
        k.source,
      ]);
      console.log(textTable(['kid', 'alg', 'state', 'created', 'retired', 'source'], rows));
    });
  keys
    .command('rotate')
    .description(
      'sign with a new key from now on; the old one stays published until its tokens expire',
    )
    .action(async () => {
      const key = await withKeys((ring) => ring.rotate());
      console.log(`signing with ${key.kid} (${key.alg}); running gateways switch within a minute`);
    });
}

async function readJwks(path: string): Promise<NewOAuthClient['jwks']> {
  const parsed = JSON.parse(await readFile(path, 'utf8'));
  // One JWK is a set of one; add() checks the rest.
  return parsed?.kty ? { keys: [parsed] } : parsed;
}

function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
