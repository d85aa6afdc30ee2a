import { createHash, randomUUID } from 'node:crypto';
import type { Context, Hono } from 'hono';
import {
  A2aError,
  cardToV03,
  type HostedAgent,
  type JsonRpcBinding,
  negotiateVersion,
  publicCard,
  type RequestContext,
} from '../a2a/index.js';
import { readBody } from './read-body.js';
import { sseResponse } from './sse.js';

export interface A2aRoutesOptions {
  agents: readonly HostedAgent[];
  binding: JsonRpcBinding;
  /** Base URL the cards advertise; a function because an ephemeral port is known only later. */
  publicUrl: () => string;
  maxBodyBytes: number;
  heartbeatMs: number;
  /** Aborted at shutdown: open streams end so clients resume elsewhere. */
  shutdown?: AbortSignal;
}

const TENANT = ':tenant{[A-Za-z0-9][A-Za-z0-9._-]*}';

/** Agent cards (§8.2) and the JSON-RPC endpoint of every hosted agent (§9). */
export function mountA2aRoutes(app: Hono, options: A2aRoutesOptions): void {
  const byName = new Map(options.agents.map((agent) => [agent.name, agent]));
  const fallback = options.agents.find((agent) => agent.isDefault) ?? options.agents[0]!;

  app.get('/.well-known/agent-card.json', (c) =>
    cardResponse(c, publicCard(fallback, options.publicUrl()), fallback),
  );
  app.get('/agents', (c) =>
    c.json({ agents: options.agents.map((agent) => publicCard(agent, options.publicUrl())) }, 200, {
      'Cache-Control': 'public, max-age=60',
    }),
  );
  for (const prefix of ['', `/${TENANT}`]) {
    app.get(`${prefix}/agents/:name/.well-known/agent-card.json`, (c) => {
      const agent = byName.get(c.req.param('name'));
      if (!agent)
        return c.json({ error: 'not_found', message: `no agent ${c.req.param('name')}` }, 404);
      return cardResponse(c, publicCard(agent, options.publicUrl(), c.req.param('tenant')), agent);
    });
    // The card in A2A 0.3 form, at the path 0.3 clients looked for.
    app.get(`${prefix}/agents/:name/.well-known/agent.json`, (c) => {
      const agent = byName.get(c.req.param('name'));
      if (!agent)
        return c.json({ error: 'not_found', message: `no agent ${c.req.param('name')}` }, 404);
      const card = publicCard(agent, options.publicUrl(), c.req.param('tenant'));
      return cardResponse(c, cardToV03(card, card.supportedInterfaces[0]!.url), agent);
    });
    app.post(`${prefix}/agents/:name`, (c) => {
      const agent = byName.get(c.req.param('name'));
      if (!agent)
        return c.json({ error: 'not_found', message: `no agent ${c.req.param('name')}` }, 404);
      return rpc(c, agent, c.req.param('tenant'));
    });
  }
  app.post('/', (c) => rpc(c, fallback, undefined));

  async function rpc(
    c: Context,
    agent: HostedAgent,
    urlTenant: string | undefined,
  ): Promise<Response> {
    const correlationId = correlationIdOf(c);
    const headers = { 'X-Correlation-Id': correlationId };
    const reply = (body: unknown, status = 200) => c.json(body as object, status as 200, headers);
    const { binding } = options;

    // §9.1: JSON-RPC bodies are JSON; anything else is ContentTypeNotSupportedError (the TCK checks).
    const contentType = c.req.header('content-type') ?? '';
    if (!/^application\/([\w.+-]*\+)?json\b/i.test(contentType.trim())) {
      return reply(
        binding.errorBody(
          null,
          new A2aError(
            'CONTENT_TYPE_NOT_SUPPORTED',
            `Content-Type must be application/json, got ${contentType || 'none'}`,
          ),
        ),
      );
    }
    const body = await readBody(c.req.raw, options.maxBodyBytes);
    if (body.kind === 'too_large') {
      return reply(
        binding.errorBody(
          null,
          new A2aError('INVALID_REQUEST', `the request body exceeds ${options.maxBodyBytes} bytes`),
        ),
        413,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch {
      return reply(binding.errorBody(null, new A2aError('PARSE_ERROR', 'Invalid JSON payload')));
    }
    const version = negotiateVersion(c.req.header('a2a-version'));
    if (!version) {
      const id =
        typeof parsed === 'object' && parsed && 'id' in parsed
          ? (parsed as { id: unknown }).id
          : null;
      return reply(
        binding.errorBody(
          typeof id === 'string' || typeof id === 'number' ? id : null,
          new A2aError(
            'VERSION_NOT_SUPPORTED',
            `A2A-Version ${c.req.header('a2a-version')} is not supported; use 1.0 or 0.3`,
          ),
        ),
      );
    }
    const abort = new AbortController();
    const onClientGone = () => abort.abort();
    // The request's signal may outlive this request (kept-alive connections): detach when done.
    c.req.raw.signal?.addEventListener('abort', onClientGone, { once: true });
    const detach = () => c.req.raw.signal?.removeEventListener('abort', onClientGone);
    const lastEventId = Number.parseInt(c.req.header('last-event-id') ?? '', 10);
    const idempotencyKey = c.req.header('idempotency-key');
    if (
      idempotencyKey !== undefined &&
      (idempotencyKey.length === 0 || idempotencyKey.length > 255)
    ) {
      return reply(
        binding.errorBody(
          null,
          new A2aError('INVALID_REQUEST', 'Idempotency-Key must be 1 to 255 characters'),
        ),
      );
    }
    const ctx: RequestContext = {
      agent,
      tenant: urlTenant ?? '',
      principal: 'anonymous',
      correlationId,
      signal: abort.signal,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? { lastEventId } : {}),
    };
    const result = await binding.handle(parsed, ctx, version, urlTenant).catch((error: unknown) => {
      detach();
      throw error;
    });
    if (result.type === 'json') {
      detach();
      if (result.body === undefined) return c.body(null, 204, headers);
      return reply(result.body);
    }
    return sseResponse(withErrors(result), {
      heartbeatMs: options.heartbeatMs,
      onClose: () => {
        detach();
        abort.abort();
      },
      headers,
      ...(options.shutdown ? { shutdown: options.shutdown } : {}),
    });
  }
}

/** SSE events of a stream reply; an error after the first event becomes a final error event. */
async function* withErrors(
  reply: Extract<Awaited<ReturnType<JsonRpcBinding['handle']>>, { type: 'stream' }>,
) {
  try {
    for await (const item of reply.items) yield { id: item.position, data: reply.encode(item) };
  } catch (error) {
    yield { data: reply.encodeError(error) };
  }
}

function cardResponse(c: Context, card: unknown, agent: HostedAgent): Response {
  const body = JSON.stringify(card);
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  const headers = {
    ETag: etag,
    'Cache-Control': 'public, max-age=300',
    'Last-Modified': agent.modifiedAt.toUTCString(),
    'Content-Type': 'application/json',
  };
  if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
  return c.body(body, 200, headers);
}

/** Every request gets one; a caller's own id is kept so its logs and our audit line up. */
function correlationIdOf(c: Context): string {
  const given = c.req.header('x-correlation-id') ?? c.req.header('x-request-id');
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}
