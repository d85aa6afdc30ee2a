export { type Config, ConfigError, ConfigSchema, type LogLevel, loadConfig } from './config.js';
export { httpTimeouts } from './http-timeouts.js';
