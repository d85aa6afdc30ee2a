import { resolve } from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { traceHeaders } from '../../observability/index.js';
import { resolveSecret } from '../secrets.js';
import type { McpServerSpec } from './spec.js';

/** One connection attempt's transport, and what it can tell about its own end. */
export interface OpenedTransport {
  transport: Transport;
  /** The child process of a stdio server while it runs. */
  pid(): number | undefined;
  /** What the server said last before it went (a stdio server's stderr), for error messages. */
  lastWords(): string;
  /** Once connected, what it said while starting up no longer explains anything. */
  forgetWords(): void;
  /** Ends the server's side of the session politely before the gateway closes it (bounded). */
  farewell(): Promise<void>;
}

/** How to reach one MCP server, its secrets resolved. */
export interface ServerEndpoint {
  kind: McpServerSpec['transport'];
  /** The command line or URL: shown in names, logs and errors, never holding a secret. */
  origin: string;
  open(): OpenedTransport;
}

/** Enough of a stdio server's stderr to say why it stopped, without keeping a chatty log. */
const STDERR_TAIL_CHARS = 2_000;

/**
 * The endpoint an agent file describes. Secrets are read now: a variable that is not set
 * throws `MissingSecretError`, a configuration error for the operator to fix.
 */
export function serverEndpoint(
  spec: McpServerSpec,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): ServerEndpoint {
  const origin = serverOrigin(spec);
  if (spec.transport === 'stdio') {
    const childEnv = Object.fromEntries(
      Object.entries(spec.env ?? {}).map(([name, secret]) => [name, resolveSecret(secret, env)]),
    );
    const cwd = spec.cwd === undefined ? undefined : resolve(baseDir, spec.cwd);
    return {
      kind: 'stdio',
      origin,
      open() {
        // The SDK starts the child with a minimal environment (PATH, HOME, …) plus `env`:
        // the gateway's own secrets stay out of it.
        const transport = new StdioClientTransport({
          command: spec.command,
          args: spec.args,
          env: childEnv,
          ...(cwd ? { cwd } : {}),
          stderr: 'pipe',
        });
        let tail = '';
        // Reading it also keeps a chatty server from blocking on a full pipe.
        transport.stderr?.on('data', (chunk: Buffer) => {
          tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
        });
        return {
          transport,
          pid: () => transport.pid ?? undefined,
          lastWords: () => lastLines(tail),
          forgetWords: () => {
            tail = '';
          },
          // Closing the transport ends stdin, then signals the child if it lingers.
          farewell: async () => {},
        };
      },
    };
  }
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(spec.headers ?? {}).map(([name, secret]) => [name, resolveSecret(secret, env)]),
  );
  if (spec.token !== undefined) headers.Authorization = `Bearer ${resolveSecret(spec.token, env)}`;
  const url = new URL(spec.url);
  return {
    kind: 'http',
    origin,
    open() {
      const transport = new StreamableHTTPClientTransport(url, {
        requestInit: { headers },
        fetch: tracedFetch,
        // One quick try to resume a dropped stream; after that the executor's own reconnect
        // (a new session, with backoff) takes over.
        reconnectionOptions: {
          initialReconnectionDelay: 200,
          maxReconnectionDelay: 1_000,
          reconnectionDelayGrowFactor: 2,
          maxRetries: 1,
        },
      });
      return {
        transport,
        pid: () => undefined,
        lastWords: () => '',
        forgetWords: () => {},
        // A session the server would otherwise keep until it expires (if ever).
        farewell: () => withinMs(transport.terminateSession(), FAREWELL_MS),
      };
    },
  };
}

/**
 * The server as names and logs show it: the command line, or the URL without credentials,
 * query or fragment (a query may carry a key).
 */
export function serverOrigin(spec: McpServerSpec): string {
  if (spec.transport === 'stdio') {
    return [spec.command, ...spec.args].map(quoteIfNeeded).join(' ');
  }
  const url = new URL(spec.url);
  return `${url.origin}${url.pathname}`;
}

const FAREWELL_MS = 1_000;

async function withinMs(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((done) => {
    timer = setTimeout(done, ms);
  });
  try {
    await Promise.race([promise.catch(() => {}), late]);
  } finally {
    clearTimeout(timer);
  }
}

function quoteIfNeeded(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word);
}

function lastLines(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  return lines.slice(-3).join(' | ');
}

/**
 * Each request to an MCP server over HTTP carries the active trace (a tool call inside a
 * run's span) in `traceparent`/`tracestate`; outside a span it is the plain fetch.
 */
function tracedFetch(url: string | URL, init?: RequestInit): Promise<Response> {
  const trace = traceHeaders();
  if (trace.traceparent === undefined) return fetch(url, init);
  const headers = new Headers(init?.headers);
  for (const [name, value] of Object.entries(trace)) headers.set(name, value);
  return fetch(url, { ...init, headers });
}
