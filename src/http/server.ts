import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { RpcEnv } from '../a2a/index.js';
import {
  type ConnectionTimeouts,
  closeIdleConnections,
  timeoutServerOptions,
} from './connection-timeouts.js';
import { toListenError } from './port-check.js';

export interface RunningServer {
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  /**
   * Stops accepting connections, lets requests in flight finish, and after `graceMs` cuts
   * whatever is still open (long-lived streams).
   */
  close(graceMs?: number): Promise<void>;
}

export function startHttpServer(
  app: Hono<RpcEnv>,
  options: {
    host: string;
    port: number;
    timeouts?: ConnectionTimeouts;
    /** Connections held at once; more are closed as they arrive (0 or none: no limit). */
    maxConnections?: number;
  },
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        hostname: options.host,
        port: options.port,
        ...(options.timeouts ? { serverOptions: timeoutServerOptions(options.timeouts) } : {}),
      },
      (info: AddressInfo) => {
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        resolve({
          url: `http://${host}:${info.port}`,
          port: info.port,
          close: (graceMs = 10_000) =>
            new Promise<void>((done) => {
              const http = server as import('node:http').Server;
              const timer = setTimeout(() => http.closeAllConnections(), graceMs);
              http.close(() => {
                clearTimeout(timer);
                done();
              });
              http.closeIdleConnections();
            }),
        });
      },
    );
    if (options.maxConnections)
      (server as import('node:http').Server).maxConnections = options.maxConnections;
    if (options.timeouts)
      closeIdleConnections(server as import('node:http').Server, options.timeouts.idleMs);
    server.once('error', (error) => reject(toListenError(error, options.host, options.port)));
  });
}
