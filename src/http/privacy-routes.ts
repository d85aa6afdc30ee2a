import type { Hono, MiddlewareHandler } from 'hono';
import type { RpcEnv } from '../a2a/index.js';
import { SCOPES } from '../auth/index.js';
import type { ShredResult } from '../privacy/index.js';
import { anyone, requireScope } from './authenticate.js';

const TENANT = ':tenant{[A-Za-z0-9][A-Za-z0-9._-]*}';

/**
 * `DELETE /admin/tenants/{tenant}/key` (admin scope): crypto-shredding of a tenant. Its data
 * keys are deleted, so its personal data reads as `{ "$redacted": "shredded" }` everywhere
 * from now on; the answer says how many keys and task view rows it touched. `shred` is absent
 * when PII encryption is off: there is then no key whose deletion would erase anything.
 */
export function mountPrivacyRoutes(
  app: Hono<RpcEnv>,
  options: {
    shred?: (tenant: string) => Promise<ShredResult>;
    authenticate?: MiddlewareHandler<RpcEnv>;
  },
): void {
  const guard = options.authenticate ?? anyone;
  app.delete(`/admin/tenants/${TENANT}/key`, guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    const tenant = c.req.param('tenant');
    if (!options.shred)
      return c.json(
        {
          error: 'encryption_off',
          message:
            'PII_ENCRYPTION is off: personal data is stored in plaintext and no tenant key exists to delete',
        },
        409,
      );
    return c.json(await options.shred(tenant));
  });
}
