import { describe } from 'vitest';

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

/**
 * A suite's title, or when `variable` is unset the title with why it is skipped:
 * `PostgreSQL adapter (skipped: DATABASE_URL is not set: …)`. The skipped-suites reporter finds
 * suites by that ending and prints one line for each.
 */
export function suiteTitle(title: string, variable: string): string {
  return process.env[variable] ? title : `${title} (skipped: ${skipReason(variable)})`;
}

let counter = 0;
/** A schema name no other test (or earlier run) uses. */
export function uniqueSchema(prefix: string): string {
  counter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}`;
}

export type GatewayDatabase = 'pglite' | 'postgres';

/**
 * Declares a suite once per database a gateway test runs on: PGlite always, PostgreSQL when
 * DATABASE_URL is set, else skipped saying why. `$name` in the title names the database.
 * Two plain suites rather than `describe.each`, whose `$name` comes out quoted and cut at 40
 * characters, which lost the skip reason.
 */
export function describeEachDatabase(
  title: string,
  body: (options: { database: GatewayDatabase }) => void,
): void {
  describe(title.replace('$name', 'PGlite'), () => body({ database: 'pglite' }));
  describe.skipIf(!DATABASE_URL)(
    suiteTitle(title.replace('$name', 'PostgreSQL'), 'DATABASE_URL'),
    () => body({ database: 'postgres' }),
  );
}
