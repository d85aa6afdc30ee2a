import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ErrorCode,
  McpError,
  type Tool,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { ExecutorHealth, ExecutorLog } from '../hosted-executor.js';
import { type BackoffSettings, backoffDelay } from './backoff.js';
import type { ServerEndpoint } from './server-endpoint.js';
import type { ServerSnapshot } from './tool-card.js';

/** One live connection, as a run uses it. */
export interface Session {
  client: Client;
  /** Aborted when this connection ends; its reason is a `ConnectionLost` saying why. */
  lost: AbortSignal;
}

export class ConnectionLost extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'ConnectionLost';
  }
}

/**
 * The gateway's connection to one MCP server: connects, lists the tools (again on
 * `tools/list_changed`), notices a loss and reconnects with backoff. A stdio server is a child
 * process: restarting it is reconnecting, bounded by `maxRestarts` failures in a row.
 */
export interface McpConnection {
  /** Resolves after the first attempt, connected or not: retries go on in the background. */
  start(): Promise<void>;
  /** The connection to call tools on; undefined while there is none. */
  session(): Session | undefined;
  /** Why there is no session, for a task that cannot run now. */
  unavailable(): string;
  /**
   * Called with what the server told about itself and its tools, at each connection and each
   * refreshed tool list; the last one stands while reconnecting.
   */
  onSnapshot(listener: (snapshot: ServerSnapshot) => void): void;
  /** A request on `session` failed in the transport: the connection is gone. */
  lose(session: Session, why: string): void;
  health(): ExecutorHealth;
  /** The stdio server's process while it runs. */
  pid(): number | undefined;
  close(): Promise<void>;
}

export interface ConnectionOptions {
  endpoint: ServerEndpoint;
  reconnect: BackoffSettings & { maxRestarts: number };
  log: ExecutorLog;
  agent: string;
  /** Bounds initialize and each tools/list page (default 30 s). */
  requestTimeoutMs?: number;
}

/** A server that pages its tool list forever is broken, not large. */
const MAX_TOOL_PAGES = 100;
/** How long a stream hiccup may keep a Streamable HTTP server from answering a ping. */
const PROBE_TIMEOUT_MS = 5_000;
// What the Streamable HTTP transport reports when its streams to the server break.
const STREAM_TROUBLE =
  /SSE stream disconnected|Failed to reconnect SSE stream|reconnection attempts/;

interface Attempt {
  client: Client;
  opened: ReturnType<ServerEndpoint['open']>;
  lost: AbortController;
  established: boolean;
  pid?: number;
  refreshWanted: boolean;
  refreshing: boolean;
  probing: boolean;
}

export function createMcpConnection(options: ConnectionOptions): McpConnection {
  const { endpoint, reconnect, log, agent } = options;
  const { origin } = endpoint;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const listeners: ((snapshot: ServerSnapshot) => void)[] = [];
  let current: Attempt | undefined;
  let attempting: Promise<void> | undefined;
  // Retries since the last successful connection: the backoff's exponent, the restart count.
  let retries = 0;
  let everConnected = false;
  let lastError: string | undefined;
  let retryAt: number | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let gaveUp = false;
  let closed = false;
  let snapshot: ServerSnapshot | undefined;

  const publish = (next: ServerSnapshot) => {
    snapshot = next;
    for (const listener of listeners) {
      try {
        listener(next);
      } catch (error) {
        log.error('MCP tool list listener failed', { agent, origin, error });
      }
    }
  };

  const attempt = async (): Promise<void> => {
    retryAt = undefined;
    const opened = endpoint.open();
    const client = new Client(
      { name: 'a2a-event-gateway', version: '0.1.0' },
      { capabilities: {} },
    );
    const entry: Attempt = {
      client,
      opened,
      lost: new AbortController(),
      established: false,
      refreshWanted: false,
      refreshing: false,
      probing: false,
    };
    current = entry;
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => refresh(entry));
    client.onclose = () => lost(entry, closedWhy(entry));
    client.onerror = (error) => trouble(entry, error);
    try {
      await client.connect(opened.transport, { timeout: requestTimeoutMs });
      entry.pid = opened.pid();
      const tools = await listAllTools(client, requestTimeoutMs);
      if (current !== entry || closed) throw new Error('closed while connecting');
      entry.established = true;
      opened.forgetWords();
      everConnected = true;
      retries = 0;
      lastError = undefined;
      const server = client.getServerVersion();
      const instructions = client.getInstructions();
      log.info('MCP server connected', {
        agent,
        origin,
        server: server ? `${server.name} ${server.version}` : undefined,
        tools: tools.length,
        ...(entry.pid ? { pid: entry.pid } : {}),
      });
      publish({ tools, ...(server ? { server } : {}), ...(instructions ? { instructions } : {}) });
      if (entry.refreshWanted) refresh(entry);
    } catch (error) {
      if (closed || current !== entry) {
        await client.close().catch(() => {});
        return;
      }
      current = undefined;
      const words = opened.lastWords();
      lastError = `${describeError(error)}${words ? ` (server said: ${words})` : ''}`;
      await client.close().catch(() => {});
      log.warn('MCP server connection failed', { agent, origin, error: lastError });
      scheduleRetry();
    }
  };

  // An attempt handles its own failures; a throw here is a bug, logged rather than lost.
  const guarded = () =>
    attempt().catch((error: unknown) =>
      log.error('MCP connection attempt failed unexpectedly', { agent, origin, error }),
    );

  const scheduleRetry = () => {
    if (closed) return;
    if (endpoint.kind === 'stdio' && retries >= reconnect.maxRestarts) {
      gaveUp = true;
      log.error('MCP server given up', { agent, origin, restarts: retries, error: lastError });
      return;
    }
    retries += 1;
    const delay = backoffDelay(retries, reconnect);
    retryAt = Date.now() + delay;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      attempting = guarded();
    }, delay);
    // Nothing to wait for once the gateway is gone (close() clears it anyway).
    retryTimer.unref();
    log.warn(endpoint.kind === 'stdio' ? 'MCP server restarting' : 'MCP server reconnecting', {
      agent,
      origin,
      attempt: retries,
      delayMs: delay,
    });
  };

  // A connection in use ended: runs on it fail with `why`, and a new one is on its way.
  const lost = (entry: Attempt, why: string) => {
    // Before it is established, the attempt's own failure says why (connect rejects).
    if (current !== entry || !entry.established || closed) return;
    current = undefined;
    lastError = why;
    entry.lost.abort(new ConnectionLost(why));
    log.warn('MCP server connection lost', { agent, origin, error: why });
    void entry.client.close().catch(() => {});
    scheduleRetry();
  };

  const closedWhy = (entry: Attempt): string => {
    if (endpoint.kind === 'http') return 'the connection closed';
    const words = entry.opened.lastWords();
    return `the server process${entry.pid ? ` ${entry.pid}` : ''} exited${words ? ` (it said: ${words})` : ''}`;
  };

  // The Streamable HTTP transport reports broken streams but leaves pending requests
  // waiting: a ping tells whether the server is still there.
  const trouble = (entry: Attempt, error: Error) => {
    const live = current === entry && entry.established;
    if (!live || endpoint.kind !== 'http' || !STREAM_TROUBLE.test(error.message)) {
      log.debug('MCP transport error', { agent, origin, error: error.message });
      return;
    }
    if (entry.probing) return;
    entry.probing = true;
    entry.client.ping({ timeout: PROBE_TIMEOUT_MS }).then(
      () => {
        entry.probing = false;
      },
      (pingError: unknown) => {
        entry.probing = false;
        // A JSON-RPC error is an answer: the server is there.
        if (pingError instanceof McpError && pingError.code !== ErrorCode.RequestTimeout) return;
        lost(entry, `${error.message}; then a ping failed: ${describeError(pingError)}`);
      },
    );
  };

  const refresh = (entry: Attempt) => {
    entry.refreshWanted = true;
    if (!entry.established || entry.refreshing) return;
    entry.refreshing = true;
    void (async () => {
      while (entry.refreshWanted && current === entry) {
        entry.refreshWanted = false;
        try {
          const tools = await listAllTools(entry.client, requestTimeoutMs);
          if (current === entry && snapshot) publish({ ...snapshot, tools });
        } catch (error) {
          if (current === entry)
            log.warn('MCP tool list refresh failed', {
              agent,
              origin,
              error: describeError(error),
            });
        }
      }
      entry.refreshing = false;
    })();
  };

  const waiting = (): string => {
    const next =
      retryAt === undefined
        ? 'connecting now'
        : `next attempt in ${seconds(Math.max(0, retryAt - Date.now()))}`;
    return lastError ? `(${next}): ${lastError}` : `(${next})`;
  };

  const gaveUpText = () =>
    `gave up after ${retries} restart${retries === 1 ? '' : 's'} in a row without a successful ` +
    `connection (maxRestarts ${reconnect.maxRestarts}): ${lastError ?? 'unknown error'}`;

  return {
    async start() {
      attempting = guarded();
      await attempting;
    },
    session() {
      return current?.established
        ? { client: current.client, lost: current.lost.signal }
        : undefined;
    },
    unavailable() {
      if (closed) return `MCP server ${origin} is not connected: the gateway is stopping`;
      if (gaveUp) return `MCP server ${origin} is down: ${gaveUpText()}`;
      return `MCP server ${origin} is not connected ${waiting()}`;
    },
    onSnapshot(listener) {
      listeners.push(listener);
    },
    lose(session, why) {
      if (current && current.lost.signal === session.lost) lost(current, why);
    },
    health() {
      if (closed) return { status: 'down', detail: 'closed' };
      if (current?.established) return { status: 'up' };
      if (gaveUp) return { status: 'down', detail: gaveUpText() };
      return everConnected
        ? { status: 'down', detail: `connection lost ${waiting()}` }
        : { status: 'starting', detail: `not connected yet ${waiting()}` };
    },
    pid: () => current?.opened.pid(),
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const entry = current;
      current = undefined;
      if (entry) {
        entry.lost.abort(new ConnectionLost('the gateway closed the connection'));
        if (entry.established) await entry.opened.farewell();
        await entry.client.close().catch(() => {});
      }
      await attempting;
    },
  };
}

/** Every page of the server's tools (a name listed twice counts once). */
async function listAllTools(client: Client, timeoutMs: number): Promise<Tool[]> {
  const tools = new Map<string, Tool>();
  const cursors = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const result = await client.listTools(cursor === undefined ? undefined : { cursor }, {
      timeout: timeoutMs,
    });
    for (const tool of result.tools) if (!tools.has(tool.name)) tools.set(tool.name, tool);
    cursor = result.nextCursor;
    if (cursor === undefined) return [...tools.values()];
    if (cursors.has(cursor)) throw new Error(`tools/list repeated the cursor ${cursor}`);
    cursors.add(cursor);
  }
  throw new Error(`tools/list did not end within ${MAX_TOOL_PAGES} pages`);
}

/** An error's message, with the system error behind a failed fetch (`ECONNREFUSED`). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : undefined;
  return detail && !error.message.includes(detail) ? `${error.message} (${detail})` : error.message;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
