import { createHash } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import {
  type AgentCards,
  checkIdempotencyKey,
  createAgentCards,
  createJsonRpcHandler,
  type HostedAgent,
  type JsonRpcBinding,
  negotiateA2aVersion,
  type RpcEnv,
  readJsonBody,
  requireJsonContentType,
} from '../a2a/index.js';
import { v03 } from '../protocol/index.js';
import { anyone } from './authenticate.js';
import { limitRpcStreams, type StreamLimiter } from './stream-limits.js';

export interface A2aRoutesOptions {
  agents: readonly HostedAgent[];
  binding: JsonRpcBinding;
  /**
   * Base URL the cards advertise, given the request's Host: a function because an ephemeral
   * port is known only later, and a wildcard bind has no one address.
   */
  publicUrl: (requestHost: string | undefined) => string;
  /** The card depends on the request's Host: shared caches must keep one per host. */
  cardsVaryByHost?: boolean;
  /**
   * The cards as served: their security schemes and signatures, built once and kept. Give the
   * A2A service the same one (GetExtendedAgentCard). Absent: unsigned cards, no security.
   */
  cards?: AgentCards;
  maxBodyBytes: number;
  heartbeatMs: number;
  /** Aborted at shutdown: open streams end so clients resume elsewhere. */
  shutdown?: AbortSignal;
  /** Open SSE streams and their cap (MAX_SSE_STREAMS); none: no cap. */
  streams?: StreamLimiter;
  /** Settles the caller before the body is read (authenticate.ts); none: anonymous. */
  authenticate?: MiddlewareHandler<RpcEnv>;
}

const TENANT = ':tenant{[A-Za-z0-9][A-Za-z0-9._-]*}';

/** Agent cards (§8.2) and the JSON-RPC endpoint of every hosted agent (§9). */
export function mountA2aRoutes(app: Hono<RpcEnv>, options: A2aRoutesOptions): void {
  const byName = new Map(options.agents.map((agent) => [agent.name, agent]));
  const fallback = options.agents.find((agent) => agent.isDefault) ?? options.agents[0]!;
  const cards = options.cards ?? createAgentCards();
  const rpc = createJsonRpcHandler({
    binding: options.binding,
    heartbeatMs: options.heartbeatMs,
    publicUrl: options.publicUrl,
    ...(options.shutdown ? { shutdown: options.shutdown } : {}),
  });
  const transport = [
    options.authenticate ?? anyone,
    requireJsonContentType(),
    readJsonBody({ maxBytes: options.maxBodyBytes }),
    negotiateA2aVersion(),
    checkIdempotencyKey(),
    ...(options.streams ? [limitRpcStreams(options.streams)] : []),
  ] as const;

  const base = (c: Context) => {
    if (options.cardsVaryByHost) c.header('Vary', 'Host');
    return options.publicUrl(c.req.header('host'));
  };
  app.get('/.well-known/agent-card.json', async (c) =>
    fallback.unavailable
      ? unavailable(c, fallback)
      : cardResponse(c, await cards.public(fallback, base(c)), fallback),
  );
  app.get('/agents', async (c) => {
    const url = base(c);
    // Agents whose MCP server or upstream was never reached have no card to list yet.
    const listed = await Promise.all(
      options.agents.filter((agent) => !agent.unavailable).map((agent) => cards.public(agent, url)),
    );
    return c.json({ agents: listed }, 200, { 'Cache-Control': 'public, max-age=60' });
  });
  for (const prefix of ['', `/${TENANT}`]) {
    app.get(`${prefix}/agents/:name/.well-known/agent-card.json`, async (c) => {
      const agent = byName.get(c.req.param('name'));
      if (!agent) return noAgent(c);
      if (agent.unavailable) return unavailable(c, agent);
      return cardResponse(c, await cards.public(agent, base(c), c.req.param('tenant')), agent);
    });
    // The card in A2A 0.3 form, at the path 0.3 clients looked for.
    app.get(`${prefix}/agents/:name/.well-known/agent.json`, async (c) => {
      const agent = byName.get(c.req.param('name'));
      if (!agent) return noAgent(c);
      if (agent.unavailable) return unavailable(c, agent);
      const card = await cards.public(agent, base(c), c.req.param('tenant'));
      return cardResponse(c, v03.cardToV03(card, card.supportedInterfaces[0]!.url), agent);
    });
    // Agents are known at start-up: one route each, and an unknown name is the app's 404.
    for (const agent of options.agents) {
      app.post(`${prefix}/agents/${agent.name}`, ...transport, (c) =>
        rpc(c, agent, c.req.param('tenant')),
      );
    }
  }
  app.post('/', ...transport, (c) => rpc(c, fallback, undefined));
}

/** The card is not known yet; a client should try again shortly. */
function unavailable(c: Context, agent: HostedAgent) {
  return c.json(
    {
      error: 'agent_unavailable',
      message: `agent ${agent.name} has no card yet: ${agent.unavailable}`,
    },
    503,
    { 'Retry-After': '5', 'Cache-Control': 'no-store' },
  );
}

function noAgent(c: Context) {
  return c.json({ error: 'not_found', message: `no agent ${c.req.param('name')}` }, 404);
}

/** Each served card's body and ETag, made once: the cards themselves are kept (AgentCards). */
const serialized = new WeakMap<object, { body: string; etag: string }>();

function serialize(card: object): { body: string; etag: string } {
  let served = serialized.get(card);
  if (!served) {
    const body = JSON.stringify(card);
    served = { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
    serialized.set(card, served);
  }
  return served;
}

function cardResponse(c: Context, card: object, agent: HostedAgent): Response {
  const { body, etag } = serialize(card);
  const headers = {
    ETag: etag,
    'Cache-Control': 'public, max-age=300',
    'Last-Modified': agent.modifiedAt.toUTCString(),
    'Content-Type': 'application/json',
  };
  if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
  return c.body(body, 200, headers);
}
