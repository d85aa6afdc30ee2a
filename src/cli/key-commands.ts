import type { Command } from 'commander';
import { type ApiKeyStore, createSqlApiKeyStore, mintApiKey } from '../auth/index.js';
import type { OperatorDatabase } from './oauth-commands.js';

/** `keys add|list|revoke`: API keys, kept hashed beside the events. */
export function registerKeyCommands(program: Command, open: () => Promise<OperatorDatabase>): void {
  const withKeyStore = async <T>(work: (store: ApiKeyStore) => Promise<T>): Promise<T> => {
    const db = await open();
    try {
      return await work(await createSqlApiKeyStore(db.client, db.config.DATABASE_SCHEMA));
    } finally {
      await db.close();
    }
  };

  const keys = program.command('keys').description('manage API keys (AUTH_API_KEYS=true)');

  keys
    .command('add')
    .description('make an API key; it is printed once and stored only as a hash')
    .requiredOption('--principal <name>', 'who the key speaks for (recorded in every event)')
    .option('--tenant <tenant>', "the tenant the key is bound to ('' = default)", '')
    .option('--scopes <list>', 'comma-separated scopes', 'a2a:send,a2a:read,a2a:cancel')
    .option('--json', 'print the key and its record as JSON')
    .action(
      async (options: { principal: string; tenant: string; scopes: string; json?: boolean }) => {
        const scopes = options.scopes
          .split(',')
          .map((scope) => scope.trim())
          .filter(Boolean);
        // Agents may require scopes of their own, so any printable name is taken.
        const invalid = scopes.find((scope) => !/^[\x21-\x7e]+$/.test(scope));
        if (invalid !== undefined) throw new Error(`invalid scope ${JSON.stringify(invalid)}`);
        const { key, record } = mintApiKey({
          tenant: options.tenant,
          principal: options.principal,
          scopes,
        });
        await withKeyStore((store) => store.insert(record));
        if (options.json) {
          console.log(JSON.stringify({ key, ...withoutHash(record) }, null, 2));
          return;
        }
        console.log(`API key ${record.id} for ${record.principal} (tenant '${record.tenant}'):`);
        console.log(`  ${key}`);
        console.log('Keep it now: it is stored only as a hash and cannot be shown again.');
      },
    );

  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const records = await withKeyStore((store) => store.list());
      if (options.json) {
        console.log(JSON.stringify(records.map(withoutHash), null, 2));
        return;
      }
      const rows = records.map((record) => [
        record.id,
        record.principal,
        record.tenant || "''",
        record.scopes.join(','),
        record.createdAt,
        record.revokedAt ?? '-',
      ]);
      console.log(table(['id', 'principal', 'tenant', 'scopes', 'created', 'revoked'], rows));
    });

  keys
    .command('revoke')
    .description('revoke an API key: refused at once by every running instance')
    .argument('<id>', 'the key id (the 12 hex digits after a2a_)')
    .action(async (id: string) => {
      const found = await withKeyStore((store) => store.revoke(id, new Date()));
      if (!found) {
        console.error(`no API key ${id}`);
        process.exitCode = 1;
        return;
      }
      console.log(`API key ${id} revoked`);
    });
}

function withoutHash<T extends { secretHash: string }>(record: T): Omit<T, 'secretHash'> {
  const { secretHash: _, ...rest } = record;
  return rest;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
