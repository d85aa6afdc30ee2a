export { describeCause, innermostCause } from './error-cause.js';
export { createLogger, type Logger, type LogLevel } from './logger.js';
