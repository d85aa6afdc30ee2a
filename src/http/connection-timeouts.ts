import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long a client may take over each part of a connection; see the README's table. */
export interface ConnectionTimeouts {
  /** To send the request line and headers (Node answers 408 and closes). */
  headersMs: number;
  /** To send the whole request, body included; 0: no limit. */
  requestMs: number;
  /** To start the next request on a kept-alive connection. */
  keepAliveMs: number;
  /** Of silence either way, unless the answer is being worked on; 0: no limit. */
  idleMs: number;
}

/**
 * `http.createServer` options for the limits Node enforces itself. Node's requestTimeout
 * counts from a request's first byte to its last and stops there: a response, however long
 * it streams, is not bounded by it. Node checks both limits on a timer, every 30 s unless
 * told otherwise, so a limit of 10 s could hold a slow client for 40 s: check at a quarter of
 * the shortest limit (at most every second).
 */
export function timeoutServerOptions(timeouts: ConnectionTimeouts): ServerOptions {
  const shortest = Math.min(timeouts.headersMs, timeouts.requestMs || timeouts.headersMs);
  return {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(shortest / 4))),
  };
}

/**
 * Closes connections that stay silent for `idleMs`: a request body that stops arriving, an
 * answer the client stops reading. (Node itself counts the headers timeout from the moment a
 * connection opens, so one that never sends a byte is closed by that.) A connection whose
 * request was read in full and whose answer has not started is not idle, however quiet: a
 * blocking SendMessage may wait minutes for its task. Once an answer has started, silence
 * means the client is not reading: SSE streams write a heartbeat well within the limit (the
 * config insists), and Node does not count a write that is still making progress as silence.
 */
export function closeIdleConnections(server: Server, idleMs: number): void {
  if (idleMs === 0) return;
  const exchanges = new WeakMap<Socket, { request: IncomingMessage; response: ServerResponse }>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const exchange = { request, response };
    exchanges.set(request.socket, exchange);
    response.once('close', () => {
      if (exchanges.get(request.socket) === exchange) exchanges.delete(request.socket);
    });
  });
  server.setTimeout(idleMs);
  // With a listener here Node leaves the decision to us instead of destroying the socket.
  server.on('timeout', (socket: Socket) => {
    const exchange = exchanges.get(socket);
    if (exchange?.request.complete && !exchange.response.headersSent) return;
    socket.destroy();
  });
}
