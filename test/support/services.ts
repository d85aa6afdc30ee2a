/**
 * Real services are used where their URL is set; CI sets them all and must never skip.
 * Locally, a missing URL skips that adapter's suite with the reason in its title.
 */
export const DATABASE_URL = process.env.DATABASE_URL;

/**
 * Whether this run is CI. Only `CI=true` (or `1`) counts: `CI=false`, as some shells and tools
 * export it, is a developer's machine, where a missing service skips instead of failing.
 */
export function isCI(env: Record<string, string | undefined> = process.env): boolean {
  return /^(true|1)$/i.test(env.CI ?? '');
}

export function skipReason(variable: string): string {
  const reason = `${variable} is not set: start the service and export ${variable} to run these tests`;
  if (isCI()) throw new Error(`CI must not skip: ${reason}`);
  return reason;
}

let counter = 0;
/** A schema name no other test (or earlier run) uses. */
export function uniqueSchema(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

/** The databases a gateway test runs on: PGlite always, PostgreSQL when its URL is set. */
export const GATEWAY_DATABASES = [
  { name: 'PGlite', database: 'pglite' as const, run: true },
  {
    name: DATABASE_URL ? 'PostgreSQL' : `PostgreSQL (skipped: ${skipReason('DATABASE_URL')})`,
    database: 'postgres' as const,
    run: Boolean(DATABASE_URL),
  },
];
