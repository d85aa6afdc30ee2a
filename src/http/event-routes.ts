import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { type RpcEnv, sseResponse } from '../a2a/index.js';
import { SCOPES } from '../auth/index.js';
import type { EventStore, GlobalReadOptions } from '../store/index.js';
import { anyone, requireScope } from './authenticate.js';

const STREAM_ENDED = new Error('the event stream ended');

const position = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const time = z.iso.datetime({ offset: true });
const types = z
  .string()
  .transform((value) => value.split(',').filter(Boolean))
  .pipe(z.array(z.string().min(1).max(200)).min(1).max(100));

const PageQuerySchema = z.strictObject({
  after: position.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
  types: types.optional(),
  tenant: z.string().max(200).optional(),
  /** Timestamps in [from, to): a time range instead of positions alone. */
  from: time.optional(),
  to: time.optional(),
});

const StreamQuerySchema = z.strictObject({
  /** Exclusive: a position, `start` (everything) or `end` (only what comes next, the default). */
  from: z.union([z.enum(['start', 'end']), position]).optional(),
  types: types.optional(),
  tenant: z.string().max(200).optional(),
  /** One stream only (`task-<id>`). */
  stream: z.string().min(1).max(300).optional(),
});

/**
 * `/admin/events`: the store itself, for operators (admin scope) and the CLI's `events export`
 * and `events tail` against a running gateway (the way for an embedded store it holds).
 * - `GET /admin/events?after=&limit=&types=&tenant=&from=&to=`: one page of stored events in
 *   global order, as NDJSON (one event a line); `X-Next-After` names the next page's `after`
 *   when there may be more.
 * - `GET /admin/events/stream?from=&types=&tenant=&stream=`: the store followed live over SSE, each
 *   event's `id:` its global position, so `Last-Event-ID` resumes after it.
 */
export function mountEventRoutes(
  app: Hono<RpcEnv>,
  options: {
    store: EventStore;
    heartbeatMs: number;
    shutdown?: AbortSignal;
    authenticate?: MiddlewareHandler<RpcEnv>;
  },
): void {
  const guard = options.authenticate ?? anyone;
  const { store } = options;

  app.get('/admin/events', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    const parsed = PageQuerySchema.safeParse(c.req.query());
    if (!parsed.success) return invalid(c, parsed.error);
    const { after, limit, types: only, tenant, from, to } = parsed.data;
    const read: GlobalReadOptions = {
      limit,
      ...(after !== undefined ? { after } : {}),
      ...(only ? { types: only } : {}),
      ...(tenant !== undefined ? { tenant } : {}),
    };
    const page =
      from !== undefined || to !== undefined
        ? await store.readByTime(
            { from: new Date(from ?? 0), to: to ? new Date(to) : new Date('9999-12-31T00:00:00Z') },
            read,
          )
        : await store.readAll(read);
    const body = page.events.map((event) => `${JSON.stringify(event)}\n`).join('');
    return c.body(body, 200, {
      'content-type': 'application/x-ndjson',
      'cache-control': 'no-store',
      ...(page.next !== null ? { 'x-next-after': String(page.next) } : {}),
    });
  });

  app.get('/admin/events/stream', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    const parsed = StreamQuerySchema.safeParse(c.req.query());
    if (!parsed.success) return invalid(c, parsed.error);
    const resume = position.safeParse(c.req.header('last-event-id'));
    const { from = 'end', types: only, tenant, stream } = parsed.data;
    const abort = new AbortController();
    const subscription = store.subscribe({
      from: resume.success ? resume.data : from,
      ...(only ? { types: only } : {}),
      ...(tenant !== undefined ? { tenant } : {}),
      ...(stream !== undefined ? { streamId: stream } : {}),
      signal: abort.signal,
    });
    async function* events() {
      for await (const event of subscription) yield { id: event.globalPosition, data: event };
    }
    return sseResponse(events(), c.env?.outgoing, {
      heartbeatMs: options.heartbeatMs,
      onClose: () => {
        abort.abort(STREAM_ENDED);
        subscription.close();
      },
      ...(options.shutdown ? { shutdown: options.shutdown } : {}),
    });
  });
}

function invalid(c: Context<RpcEnv>, error: z.ZodError): Response {
  const issue = error.issues[0];
  return c.json(
    {
      error: 'invalid_request',
      message: `${issue?.path.join('.') || 'query'}: ${issue?.message ?? 'invalid'}`,
    },
    400,
  );
}
