import type { Config } from './config.js';

/** The HTTP server's connection limits, from their HTTP_*_TIMEOUT_MS settings. */
export function httpTimeouts(config: Config) {
  return {
    headersMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    idleMs: config.HTTP_IDLE_TIMEOUT_MS,
  };
}
