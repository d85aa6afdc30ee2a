import { resolve } from 'node:path';
import { Command } from 'commander';
import { migrateAuditChain, verifyAuditChain } from '../audit-chain/index.js';
import { ConfigError, loadConfig } from '../config/index.js';
import {
  migrateDatabase,
  openEventStore,
  openOperatorDeadLetters,
  shredTenantOffline,
  startGateway,
} from '../gateway.js';
import { authServerIssuer } from '../gateway-auth.js';
import { createLogger } from '../observability/index.js';
import { serve } from '../serve.js';
import { DataDirLockedError } from '../store/index.js';
import { type AuditEntry, readTaskTimeline } from '../tasks/index.js';
import { registerAgentCommands } from './agent-commands.js';
import { auditTable } from './audit-table.js';
import { registerAuditVerifyCommand } from './audit-verify-command.js';
import { registerCardCommands } from './card-commands.js';
import { registerDlqCommands } from './dlq-commands.js';
import { registerEventCommands } from './event-commands.js';
import { registerKeyCommands } from './key-commands.js';
import { registerMcpCommand } from './mcp-command.js';
import { registerOAuthCommands } from './oauth-commands.js';
import { registerPrivacyCommands } from './privacy-commands.js';
import { baseOf, request } from './remote.js';
import { registerReplayCommand } from './replay-command.js';
import { registerRetentionCommands } from './retention-commands.js';
import { registerSendCommand } from './send-command.js';
import { registerTaskCommands } from './task-commands.js';
import { registerTokenCommand } from './token-command.js';

// `gateway <command>` (bin/gateway.js; `npm run cli -- <command>` is the same program).
const program = new Command()
  .name('gateway')
  .description(
    'Run and operate the A2A event-sourced gateway (reads DATABASE_URL / DATA_DIR like the server)',
  )
  .option('--config <file>', 'read the configuration from this file (sets CONFIG_FILE)')
  .showHelpAfterError();
// Before any command loads the configuration.
program.hook('preAction', () => {
  const file = program.opts<{ config?: string }>().config;
  if (file) process.env.CONFIG_FILE = resolve(file);
});

program
  .command('serve')
  .description('start the gateway, as npm start does (until SIGTERM or SIGINT)')
  .action(() => serve());

program
  .command('migrate')
  .description('apply pending schema migrations to the configured store, then exit')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger({ level: config.LOG_LEVEL === 'debug' ? 'debug' : 'warn' });
    const kind = await migrateDatabase(config, logger).catch((error: unknown) => {
      throw withHint(error, 'The running gateway applied the migrations when it started.');
    });
    console.log(`${kind} store migrated (schema ${config.DATABASE_SCHEMA})`);
  });

// `audit <taskId>` is `audit show <taskId>`; `audit verify` plugs in beside it.
const audit = program.command('audit').description("a task's audit trail");
audit
  .command('show', { isDefault: true })
  .description("print a task's full event history as a table")
  .argument('<taskId>', 'the task id')
  .option('--tenant <tenant>', 'only if the task belongs to this tenant')
  .option('--url <url>', 'ask a running gateway (needed for the embedded store while it runs)')
  .option('--json', 'print the entries as JSON instead of a table')
  .action(async (taskId: string, options: { tenant?: string; url?: string; json?: boolean }) => {
    const entries = options.url
      ? await fetchTimeline(options.url, taskId, options.tenant)
      : await readTimeline(taskId, options.tenant);
    if (!entries) {
      console.error(`task ${taskId} not found`);
      process.exitCode = 1;
      return;
    }
    console.log(options.json ? JSON.stringify(entries, null, 2) : auditTable(entries));
  });

registerSendCommand(program);
registerTaskCommands(program);
registerAgentCommands(program);
registerEventCommands(program, openOperatorStore);
registerTokenCommand(program, openOperatorDatabase, authServerIssuer);
registerAuditVerifyCommand(audit, async () => {
  const config = loadConfig();
  // The chain is sealed over the events as stored (ciphertext with PII_ENCRYPTION).
  const { stored, views, close } = await openEventStore(
    config,
    createLogger({ level: 'warn' }),
  ).catch((error: unknown) => {
    const url = error instanceof DataDirLockedError ? error.owner?.url : undefined;
    throw withHint(error, `Ask the running gateway instead: add --url ${url ?? '<its URL>'}`);
  });
  await migrateAuditChain(views, config.DATABASE_SCHEMA);
  return {
    verify: (tenant) =>
      verifyAuditChain(
        stored,
        views,
        config.DATABASE_SCHEMA,
        tenant !== undefined ? { tenant } : {},
      ),
    close,
  };
});
registerReplayCommand(program);
registerKeyCommands(program, openOperatorDatabase);
registerOAuthCommands(program, openOperatorDatabase);
registerCardCommands(program);
registerMcpCommand(program, startGateway);
registerPrivacyCommands(program, (tenant) =>
  shredTenantOffline(loadConfig(), createLogger({ level: 'warn' }), tenant).catch((error) => {
    throw withHint(error, 'Ask the running gateway instead: add --url <its URL>');
  }),
);
registerRetentionCommands(program, async () => {
  const config = loadConfig();
  const { stored, close } = await openEventStore(config, createLogger({ level: 'warn' })).catch(
    (error: unknown) => {
      throw withHint(
        error,
        'Stop that gateway first: an embedded database belongs to one process.',
      );
    },
  );
  return { config, store: stored, close };
});
registerDlqCommands(program, async () => {
  const config = loadConfig();
  return openOperatorDeadLetters(config, createLogger({ level: 'warn' })).catch(
    (error: unknown) => {
      const url = error instanceof DataDirLockedError ? error.owner?.url : undefined;
      throw withHint(error, `Ask the running gateway instead: add --url ${url ?? '<its URL>'}`);
    },
  );
});

/** The configured database, for commands that manage what lives beside the events. */
async function openOperatorDatabase() {
  const config = loadConfig();
  const { views, close } = await openEventStore(config, createLogger({ level: 'warn' })).catch(
    (error: unknown) => {
      throw withHint(
        error,
        'Stop that gateway first: an embedded database belongs to one process. While it ' +
          'runs, API keys can be managed over HTTP (/admin/api-keys, admin scope); to manage ' +
          'clients and keys while gateways run, share a PostgreSQL through DATABASE_URL.',
      );
    },
  );
  return { config, client: views, close };
}

/** The configured event store, for `events` (a running gateway holds an embedded one). */
async function openOperatorStore() {
  const config = loadConfig();
  const { store, close } = await openEventStore(config, createLogger({ level: 'warn' })).catch(
    (error: unknown) => {
      const url = error instanceof DataDirLockedError ? error.owner?.url : undefined;
      throw withHint(error, `Ask the running gateway instead: add --url ${url ?? '<its URL>'}`);
    },
  );
  return { store, close };
}

async function readTimeline(
  taskId: string,
  tenant: string | undefined,
): Promise<AuditEntry[] | undefined> {
  const config = loadConfig();
  const logger = createLogger({ level: 'warn' });
  const { store, close } = await openEventStore(config, logger).catch((error: unknown) => {
    const url = error instanceof DataDirLockedError ? error.owner?.url : undefined;
    throw withHint(
      error,
      `Ask the running gateway instead: npm run cli -- audit ${taskId} --url ${url ?? '<its URL>'}`,
    );
  });
  try {
    return await readTaskTimeline(store, taskId, tenant);
  } finally {
    await close();
  }
}

async function fetchTimeline(
  url: string,
  taskId: string,
  tenant: string | undefined,
): Promise<AuditEntry[] | undefined> {
  const base = baseOf(url);
  const path = `${tenant ? `/${encodeURIComponent(tenant)}` : ''}/tasks/${encodeURIComponent(taskId)}/events`;
  const response = await request(`${base}${path}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${base}${path} answered ${response.status}`);
  return ((await response.json()) as { events: AuditEntry[] }).events;
}

/** A locked data folder means a gateway runs on it: say what to do instead. */
function withHint(error: unknown, hint: string): unknown {
  if (!(error instanceof DataDirLockedError)) return error;
  return new Error(`${error.message}\n${hint}`, { cause: error });
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(
    error instanceof ConfigError ? error.message : `error: ${(error as Error).message}`,
  );
  process.exitCode = 1;
}
