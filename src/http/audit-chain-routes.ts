import type { Hono, MiddlewareHandler } from 'hono';
import type { RpcEnv } from '../a2a/index.js';
import type { ChainVerification } from '../audit-chain/index.js';
import { SCOPES } from '../auth/index.js';
import { textProblem } from '../protocol/index.js';
import { anyone, requireScope } from './authenticate.js';

export interface AuditChainAdmin {
  /** Walks one tenant's chain ('' the default tenant), or every tenant's without one. */
  verify(tenant?: string): Promise<ChainVerification>;
}

/**
 * `GET /admin/audit/verify?tenant=`: checks the tamper-evident chain of stored events against
 * the events (admin scope). 200 with the verification either way: `ok`, and the first broken
 * link when there is one. Without `tenant` every tenant's chain; `tenant=` the default one.
 */
export function mountAuditChainRoutes(
  app: Hono<RpcEnv>,
  options: { chain: AuditChainAdmin; authenticate?: MiddlewareHandler<RpcEnv> },
): void {
  const guard = options.authenticate ?? anyone;
  app.get('/admin/audit/verify', guard, async (c) => {
    const denied = requireScope(c, SCOPES.admin);
    if (denied) return denied;
    const tenants = c.req.queries('tenant');
    const tenant = tenants?.[0];
    if ((tenants && tenants.length > 1) || (tenant !== undefined && textProblem(tenant)))
      return c.json(
        { error: 'invalid_request', message: 'tenant must be given once, as plain text' },
        400,
      );
    return c.json(await options.chain.verify(tenant), 200, { 'cache-control': 'no-store' });
  });
}
