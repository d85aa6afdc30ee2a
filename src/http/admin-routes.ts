import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { RpcEnv } from '../a2a/index.js';
import { type ApiKeyRecord, type ApiKeyStore, mintApiKey, SCOPES } from '../auth/index.js';
import { anyone, requireScope } from './authenticate.js';

const NewKeySchema = z.strictObject({
  principal: z.string().min(1).max(200),
  tenant: z.string().max(200).default(''),
  scopes: z
    .array(z.string().regex(/^[\x21-\x7e]{1,100}$/))
    .max(50)
    .default([SCOPES.send, SCOPES.read, SCOPES.cancel]),
});

/**
 * `/admin/api-keys`: the CLI's `keys` commands over HTTP, for the admin scope. The embedded
 * store belongs to the running gateway, so this is how keys change while it runs.
 */
export function mountAdminRoutes(
  app: Hono<RpcEnv>,
  options: { apiKeys: ApiKeyStore; authenticate?: MiddlewareHandler<RpcEnv> },
): void {
  const guard = options.authenticate ?? anyone;
  const { apiKeys } = options;

  app.get('/admin/api-keys', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    return c.json({ keys: (await apiKeys.list()).map(withoutHash) });
  });

  app.post('/admin/api-keys', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    const body = await c.req.json().catch(() => undefined);
    const parsed = NewKeySchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return c.json(
        {
          error: 'invalid_request',
          message: `${issue.path.join('.') || 'body'}: ${issue.message}`,
        },
        400,
      );
    }
    const { key, record } = mintApiKey(parsed.data);
    await apiKeys.insert(record);
    return c.json({ key, ...withoutHash(record) }, 201, { 'Cache-Control': 'no-store' });
  });

  app.delete('/admin/api-keys/:id', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    const id = c.req.param('id');
    if (!/^[0-9a-f]{12}$/.test(id) || !(await apiKeys.revoke(id, new Date())))
      return c.json({ error: 'not_found', message: `no API key ${id}` }, 404);
    return c.body(null, 204);
  });
}

function withoutHash(record: ApiKeyRecord): Omit<ApiKeyRecord, 'secretHash'> {
  const { secretHash: _, ...rest } = record;
  return rest;
}
