import type { Context } from 'hono';
import type { RpcEnv } from './rpc-transport.js';

/**
 * A request header, read from Node's parsed headers when served by @hono/node-server:
 * `c.req.header()` builds a web `Headers` object first, which validates every value character
 * by character (a bearer token is hundreds) and measurably slowed every call.
 */
export function requestHeader(c: Context<RpcEnv>, name: string): string | undefined {
  const incoming = c.env?.incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
