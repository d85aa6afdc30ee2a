/**
 * Who is calling, as the gateway proved it. Every layer above `auth/` speaks of callers only
 * through this type: how they authenticated (a JWT, an API key, nobody) stays here.
 */

/** The scopes the gateway checks. A hosted agent's file may require more (`auth.scopes`). */
export const SCOPES = {
  /** SendMessage, SendStreamingMessage (and push configuration, when it comes). */
  send: 'a2a:send',
  /** GetTask, ListTasks, SubscribeToTask, the caller's tenant's audit timelines. */
  read: 'a2a:read',
  /** CancelTask. */
  cancel: 'a2a:cancel',
  /** Audit and admin routes of every tenant, API keys and OAuth clients. */
  admin: 'a2a:admin',
  /**
   * Personal data in audit timelines (message and artifact content, metadata): without it
   * (or admin) the audit shows those fields as `{ "$redacted": "scope" }`.
   */
  auditPii: 'a2a:audit-pii',
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

export const ALL_SCOPES: readonly Scope[] = Object.values(SCOPES);

export interface Principal {
  /** A token's `sub`, an API key's principal name, or `anonymous`. */
  name: string;
  /**
   * The tenant the credentials are bound to ('' is the default tenant); null when they are
   * bound to none (anonymous on loopback, or the admin scope): the URL's tenant then decides.
   */
  tenant: string | null;
  scopes: ReadonlySet<string>;
  /** How the caller proved who it is. */
  via: 'jwt' | 'api-key' | 'anonymous';
}

/** The caller when no authentication is configured (served on loopback only, see config). */
export const ANONYMOUS: Principal = Object.freeze({
  name: 'anonymous',
  tenant: null,
  scopes: new Set<string>(ALL_SCOPES),
  via: 'anonymous',
});

export function hasScope(principal: Principal, scope: string): boolean {
  return principal.scopes.has(scope) || principal.scopes.has(SCOPES.admin);
}

/** Whether the credentials reach `tenant`: bound to it, bound to none, or the admin scope. */
export function coversTenant(principal: Principal, tenant: string): boolean {
  return (
    principal.tenant === null || principal.tenant === tenant || principal.scopes.has(SCOPES.admin)
  );
}

/**
 * Whose tasks a read by tenant reaches (audit timelines): the tenant asked for if the
 * credentials cover it, else `false` (its tasks read as absent); with none asked for, the
 * caller's own tenant, or any tenant (undefined) for an authenticated admin.
 */
export function tenantToRead(
  principal: Principal,
  requested: string | undefined,
): string | undefined | false {
  if (requested !== undefined) return coversTenant(principal, requested) ? requested : false;
  if (principal.via !== 'anonymous' && principal.scopes.has(SCOPES.admin)) return undefined;
  return principal.tenant ?? '';
}
