import { ConfigError, loadConfigWithSources, summarizeConfig } from './config/index.js';
import { startGateway } from './gateway.js';
import { createLogger } from './observability/index.js';
import { onShutdownSignals } from './shutdown-signals.js';

/**
 * The gateway on its configuration, until SIGTERM or SIGINT: `npm start` (main.ts) and the
 * CLI's `gateway serve` both run this, so they start and stop the same way. Exits the process.
 */
export async function serve(): Promise<void> {
  let loaded: ReturnType<typeof loadConfigWithSources>;
  try {
    loaded = loadConfigWithSources();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(2);
  }
  const { config } = loaded;
  const logger = createLogger({ level: config.LOG_LEVEL, redact: [config.API_KEY_HEADER] });
  // What this instance runs with and where each value came from, secrets masked.
  logger.info('configuration', {
    ...(config.CONFIG_FILE ? { file: config.CONFIG_FILE } : {}),
    settings: summarizeConfig(config, loaded.sources),
  });

  const starting = startGateway(config, logger);
  // Listening before start-up returns: the server answers (and a supervisor may stop it) a
  // moment before startGateway resolves, so a signal then waits for it and stops it cleanly.
  onShutdownSignals({
    stop(signal) {
      logger.info('signal received', { signal });
      starting
        .then((gateway) => gateway.stop())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error('shutdown failed', { error });
            process.exit(1);
          },
        );
    },
    repeated: (signal) => logger.debug('the same signal again (relayed): draining', { signal }),
    force(signal) {
      logger.warn('second signal: exiting now', { signal });
      process.exit(1);
    },
  });
  try {
    await starting;
  } catch (error) {
    logger.error('start-up failed', { error });
    // The log line is for machines; a person at a terminal reads this one.
    console.error(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
