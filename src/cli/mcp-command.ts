import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Command } from 'commander';
import { ALL_SCOPES, type Principal } from '../auth/index.js';
import { type Config, loadConfig } from '../config/index.js';
import { createLogger, type Logger } from '../observability/index.js';

/** What the command needs of a started gateway; main.ts hands over `startGateway`. */
export interface McpGateway {
  url: string;
  mcp: { connect(transport: Transport, caller: Principal): Promise<{ closed: Promise<void> }> };
  stop(): Promise<void>;
}

/**
 * Who the stdio face acts as: an operator of this machine, with every scope and bound to no
 * tenant (the default tenant unless a tool names another). No credential is asked for
 * because none would protect anything: whoever can start this process can read its
 * configuration and open the database directly.
 */
const LOCAL_OPERATOR: Principal = Object.freeze({
  name: 'local-operator',
  tenant: null,
  scopes: new Set<string>(ALL_SCOPES),
  via: 'anonymous',
});

/** A signal this soon after the first is the same request (npm relays its own copy). */
const REPEAT_WINDOW_MS = 1_000;

/**
 * `mcp`: the gateway in this process, its hosted agents served to an MCP host over stdio.
 * Stdout carries the protocol alone, so every log line goes to stderr. The HTTP listener
 * stays on as configured (A2A clients and /mcp keep working); the data folder is locked as
 * for `npm start`. It stops when stdin closes, the host goes away, or on SIGINT/SIGTERM.
 */
export function registerMcpCommand(
  program: Command,
  startGateway: (config: Config, logger: Logger) => Promise<McpGateway>,
): void {
  program
    .command('mcp')
    .description(
      'serve the hosted agents as MCP tools over stdio (stdout is the protocol, logs go to stderr), as a local operator with every scope',
    )
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger({
        level: config.LOG_LEVEL,
        write: (line) => process.stderr.write(`${line}\n`),
      });
      // Listening before start-up: a stop asked for meanwhile waits for it, then stops it.
      const signalled = stopSignals(logger);
      const gateway = await startGateway(config, logger);
      let reason: string;
      try {
        const connection = await gateway.mcp.connect(new StdioServerTransport(), LOCAL_OPERATOR);
        logger.info('serving MCP on stdio', { principal: LOCAL_OPERATOR.name, url: gateway.url });
        reason = await Promise.race([
          signalled,
          hostGone(),
          connection.closed.then(() => 'the MCP connection closed'),
        ]);
      } catch (error) {
        await gateway.stop();
        throw error;
      }
      logger.info('stopping', { reason });
      try {
        await gateway.stop();
      } catch (error) {
        logger.error('shutdown failed', { error });
        process.exit(1);
      }
      // Whatever handle an agent's executor left open, the operator asked for an exit.
      process.exit(0);
    });
}

/** The host closed our stdin, or stopped reading our stdout. */
function hostGone(): Promise<string> {
  return new Promise((resolve) => {
    process.stdin.once('end', () => resolve('stdin closed'));
    process.stdin.once('close', () => resolve('stdin closed'));
    // A write to a reader that left fails with EPIPE: the same departure.
    process.stdout.once('error', (error) => resolve(`stdout failed: ${error.message}`));
  });
}

/** The first SIGINT or SIGTERM; a signal again after the repeat window exits at once. */
function stopSignals(logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    let firstAt: number | undefined;
    const listener = (signal: NodeJS.Signals) => {
      if (firstAt === undefined) {
        firstAt = Date.now();
        resolve(signal);
      } else if (Date.now() - firstAt >= REPEAT_WINDOW_MS) {
        logger.warn('second signal: exiting now', { signal });
        process.exit(1);
      }
    };
    process.on('SIGINT', listener);
    process.on('SIGTERM', listener);
  });
}
