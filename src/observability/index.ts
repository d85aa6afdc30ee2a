export { describeCause, innermostCause } from './error-cause.js';
export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './logger.js';
export { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
export { maskUrlPasswords, REDACTED } from './redaction.js';
