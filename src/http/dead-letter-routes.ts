import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { RpcEnv } from '../a2a/index.js';
import { SCOPES } from '../auth/index.js';
import {
  type DeadLetterAdmin,
  type DeadLetterEntry,
  type DeadLetterFilter,
  DeadLetterNotFound,
  DeadLetterStateConflict,
} from '../bus/index.js';
import { anyone, callerOf, requireScope } from './authenticate.js';

const STATES = ['pending_retry', 'retrying', 'permanent_failure', 'resolved', 'purged'] as const;

const FilterSchema = z.strictObject({
  state: z
    .string()
    .transform((value) => value.split(',').filter(Boolean))
    .pipe(z.array(z.enum(STATES)).min(1))
    .optional(),
  topic: z.string().min(1).max(200).optional(),
  group: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).optional(),
});

function toFilter(parsed: z.infer<typeof FilterSchema>): DeadLetterFilter {
  return {
    ...(parsed.state ? { states: parsed.state } : {}),
    ...(parsed.topic ? { topic: parsed.topic } : {}),
    ...(parsed.group ? { group: parsed.group } : {}),
    ...(parsed.limit ? { limit: parsed.limit } : {}),
  };
}

/**
 * `/admin/dead-letters`: the bus's failed messages for the admin scope: list (filters by
 * state, topic, group), inspect, retry one or a batch, purge one or a batch. Every action is
 * recorded as an event naming the caller.
 */
export function mountDeadLetterRoutes(
  app: Hono<RpcEnv>,
  options: { deadLetters: DeadLetterAdmin; authenticate?: MiddlewareHandler<RpcEnv> },
): void {
  const guard = options.authenticate ?? anyone;
  const { deadLetters } = options;

  const filterOf = (c: Context<RpcEnv>, source: Record<string, unknown>) => {
    const parsed = FilterSchema.safeParse(source);
    if (parsed.success) return { filter: toFilter(parsed.data) };
    const issue = parsed.error.issues[0];
    return {
      response: c.json(
        {
          error: 'invalid_request',
          message: `${issue?.path.join('.') || 'filter'}: ${issue?.message ?? 'invalid'}`,
        },
        400,
      ),
    };
  };

  const act = async (c: Context<RpcEnv>, action: () => Promise<unknown>) => {
    try {
      return c.json(await action());
    } catch (error) {
      if (error instanceof DeadLetterNotFound) {
        return c.json({ error: 'not_found', message: error.message }, 404);
      }
      if (error instanceof DeadLetterStateConflict) {
        return c.json({ error: 'conflict', message: error.message }, 409);
      }
      throw error;
    }
  };

  app.get('/admin/dead-letters', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    const { filter, response } = filterOf(c, c.req.query());
    if (response) return response;
    return c.json({ deadLetters: (await deadLetters.list(filter)).map(summary) });
  });

  app.get('/admin/dead-letters/:id', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    const entry = await deadLetters.get(c.req.param('id'));
    if (!entry) {
      return c.json({ error: 'not_found', message: `no dead letter ${c.req.param('id')}` }, 404);
    }
    return c.json(entry);
  });

  app.post('/admin/dead-letters/:id/retry', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    return act(c, () => deadLetters.retry(c.req.param('id'), callerOf(c).name));
  });

  app.delete('/admin/dead-letters/:id', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    return act(c, () => deadLetters.purge(c.req.param('id'), callerOf(c).name));
  });

  for (const [path, batch] of [
    ['/admin/dead-letters/retry', 'retryBatch'],
    ['/admin/dead-letters/purge', 'purgeBatch'],
  ] as const) {
    app.post(path, guard, async (c) => {
      const denied = requireScope(c, SCOPES.admin);
      if (denied) return denied;
      const { filter, response } = filterOf(c, c.req.query());
      if (response) return response;
      return act(c, async () => ({
        [batch === 'retryBatch' ? 'retried' : 'purged']: (
          await deadLetters[batch](filter, callerOf(c).name)
        ).map(summary),
      }));
    });
  }
}

function summary(entry: DeadLetterEntry): Omit<DeadLetterEntry, 'envelope' | 'version'> & {
  payloadBytes: number;
} {
  const { envelope, version: _version, ...rest } = entry;
  return { ...rest, payloadBytes: Buffer.byteLength(JSON.stringify(envelope.payload ?? null)) };
}
