import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import {
  parseRetentionPolicies,
  type RetentionOutcome,
  restoreArchive,
  runRetention,
} from '../retention/index.js';
import type { EventStore } from '../store/index.js';

/** The configured store with events as stored, for retention. */
export interface RetentionDatabase {
  config: Config;
  store: EventStore;
  close(): Promise<void>;
}

/**
 * `retention run [--dry-run]`: archives and deletes the streams RETENTION_POLICIES choose;
 * `retention restore <file>`: puts an archive's events back as they were.
 */
export function registerRetentionCommands(
  program: Command,
  open: () => Promise<RetentionDatabase>,
): void {
  const withStore = async <T>(work: (db: RetentionDatabase) => Promise<T>): Promise<T> => {
    const db = await open();
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  };
  const retention = program
    .command('retention')
    .description('archive and delete old streams (RETENTION_POLICIES), or restore an archive');

  retention
    .command('run')
    .description(
      'archive the streams the policies choose to RETENTION_ARCHIVE_DIR, then delete them',
    )
    .option('--dry-run', 'only list what would be archived')
    .option('--json', 'print the outcome as JSON')
    .action(async (options: { dryRun?: boolean; json?: boolean }) => {
      const outcome = await withStore(({ config, store }) =>
        runRetention({
          store,
          policies: parseRetentionPolicies(config.RETENTION_POLICIES),
          archiveDir: config.RETENTION_ARCHIVE_DIR,
          dryRun: options.dryRun ?? false,
        }),
      );
      console.log(options.json ? JSON.stringify(outcome, null, 2) : describe(outcome));
    });

  retention
    .command('restore')
    .description('put an archived stream back with its ids, versions and positions')
    .argument('<file>', 'an archive written by retention run (.ndjson.gz)')
    .action(async (file: string) => {
      const restored = await withStore(({ store }) => restoreArchive(store, file));
      console.log(`${restored.streamId}: ${restored.events} event(s) restored`);
    });
}

function describe(outcome: RetentionOutcome): string {
  const verb = outcome.dryRun ? 'would archive' : 'archived';
  if (outcome.streams.length === 0) return 'nothing to archive';
  return outcome.streams
    .map(
      (stream) =>
        `${verb} ${stream.streamId} (${stream.events} events, positions ${stream.fromPosition}-${stream.toPosition})` +
        (outcome.dryRun ? '' : ` to ${stream.archive}`),
    )
    .join('\n');
}
