import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/index.js';
import { migrateDatabase } from '../gateway.js';
import { createLogger } from '../observability/index.js';

// `npm run cli -- <command>`: operator commands against the configured store.
const program = new Command()
  .name('a2a-gateway')
  .description(
    'Operate the A2A event-sourced gateway (reads DATABASE_URL / DATA_DIR like the server)',
  );

program
  .command('migrate')
  .description('apply pending schema migrations to the configured store, then exit')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger({ level: config.LOG_LEVEL === 'debug' ? 'debug' : 'warn' });
    const kind = await migrateDatabase(config, logger);
    console.log(`${kind} store migrated (schema ${config.DATABASE_SCHEMA})`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(
    error instanceof ConfigError ? error.message : `error: ${(error as Error).message}`,
  );
  process.exitCode = 1;
}
