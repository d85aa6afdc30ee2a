import { randomUUID } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Principal } from '../auth/index.js';
import {
  createSessionServer,
  type SessionServer,
  type SessionServerOptions,
} from './session-server.js';

export interface HttpSessionOptions extends Omit<SessionServerOptions, 'callerOf' | 'onCall'> {
  /** A POST body above this is refused (413) before it is parsed. */
  maxBodyBytes?: number;
  /** Comment frames keep idle SSE streams open through proxies. */
  heartbeatMs?: number;
  /** Sessions kept at once; a new one then displaces the longest idle, or is refused (503). */
  maxSessions?: number;
  /** A session with no request and no call running for this long is closed. */
  sessionIdleMs?: number;
  now?: () => number;
}

interface Session extends SessionServer {
  transport: WebStandardStreamableHTTPServerTransport;
  /** Whose session it is: only the principal that opened it may use it. */
  owner: string;
  lastSeen: number;
  calls: number;
}

/**
 * MCP Streamable HTTP sessions, one server and transport each, bound to the principal that
 * opened them: a session id is no credential, so a request carrying another principal's
 * session id finds no session (404). Each request still acts with its own principal as
 * authenticated now (its token's scopes may have changed since the session opened).
 */
export function createHttpSessions(options: HttpSessionOptions) {
  const now = options.now ?? Date.now;
  const maxSessions = options.maxSessions ?? 1_000;
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const sessions = new Map<string, Session>();
  let opening = 0;
  let closed = false;

  const sweep = setInterval(
    () => {
      for (const session of sessions.values())
        if (isIdle(session, idleMs)) void session.server.close();
    },
    Math.min(idleMs, 60_000),
  );
  // Idle sessions are swept while the gateway serves; this alone must not keep it running.
  sweep.unref();

  function isIdle(session: Session, after: number): boolean {
    return session.calls === 0 && now() - session.lastSeen >= after;
  }

  function open(caller: Principal): Session {
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      ...(options.maxBodyBytes ? { maxRequestBodySize: options.maxBodyBytes } : {}),
      ...(options.heartbeatMs ? { keepAliveMs: options.heartbeatMs } : {}),
      onsessioninitialized: (id) => {
        sessions.set(id, session);
      },
    });
    const session: Session = {
      ...createSessionServer({
        ...options,
        callerOf: (extra) => (extra.authInfo?.extra?.principal as Principal | undefined) ?? caller,
        onCall: (running) => {
          session.calls += running;
          session.lastSeen = now();
        },
      }),
      transport,
      owner: ownerOf(caller),
      lastSeen: now(),
      calls: 0,
    };
    session.server.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    return session;
  }

  /** Room for one more session: the longest idle one gives way, if any is idle at all. */
  async function makeRoom(): Promise<boolean> {
    if (sessions.size + opening < maxSessions) return true;
    let oldest: Session | undefined;
    for (const session of sessions.values())
      if (session.calls === 0 && (!oldest || session.lastSeen < oldest.lastSeen)) oldest = session;
    if (!oldest) return false;
    options.logger.info('MCP session closed to make room for a new one', {
      session: oldest.transport.sessionId,
    });
    await oldest.server.close();
    return true;
  }

  return {
    async handle(request: Request, caller: Principal): Promise<Response> {
      if (closed) return rpcError(503, -32000, 'the gateway is shutting down');
      const authInfo = authInfoOf(caller);
      const id = request.headers.get('mcp-session-id');
      if (id !== null) {
        const session = sessions.get(id);
        if (session && session.owner !== ownerOf(caller))
          options.denied?.(caller, "another principal's MCP session");
        if (!session || session.owner !== ownerOf(caller))
          return rpcError(404, -32001, 'Session not found');
        session.lastSeen = now();
        return session.transport.handleRequest(request, { authInfo });
      }
      if (request.method !== 'POST')
        return rpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      if (!(await makeRoom()))
        return rpcError(503, -32000, 'too many MCP sessions open: try again later', {
          'retry-after': '5',
        });
      opening += 1;
      const session = open(caller);
      try {
        await session.connect(session.transport);
        return await session.transport.handleRequest(request, { authInfo });
      } finally {
        opening -= 1;
        // Anything but an initialize opens no session: nothing to keep.
        if (session.transport.sessionId === undefined) await session.server.close();
      }
    },

    size: () => sessions.size,

    /** Tells every session its tool list changed (a host that listens asks for it again). */
    toolsChanged(): void {
      for (const session of sessions.values())
        void session.server.sendToolListChanged().catch(() => {});
    },

    async close(): Promise<void> {
      closed = true;
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map((session) => session.server.close()));
    },
  };
}

export type HttpSessions = ReturnType<typeof createHttpSessions>;

/** Who may use a session: the same principal, proved the same way, in the same tenant. */
function ownerOf(caller: Principal): string {
  return JSON.stringify([caller.via, caller.name, caller.tenant]);
}

/** The request's principal travels to the tool handlers as the transport's auth info. */
function authInfoOf(caller: Principal): AuthInfo {
  return {
    token: '',
    clientId: caller.name,
    scopes: [...caller.scopes],
    extra: { principal: caller },
  };
}

function rpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    { jsonrpc: '2.0', error: { code, message }, id: null },
    { status, headers: { 'cache-control': 'no-store', ...headers } },
  );
}
