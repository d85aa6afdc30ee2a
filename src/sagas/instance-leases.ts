import { type Migration, migrate, type SqlClient } from '../store/index.js';

/**
 * Which gateway instances are alive. Each instance holds a lease it renews; a run whose
 * instance's lease has expired is an orphan that any other instance may take over.
 */
export interface InstanceLeases {
  /** Takes or extends `instance`'s lease to `ttlMs` from now (by the database's clock). */
  renew(instance: string, ttlMs: number): Promise<void>;
  /** Instances whose lease has not expired. */
  alive(): Promise<Set<string>>;
  /** Ends `instance`'s lease at once (a clean shutdown): its unfinished runs are free. */
  release(instance: string): Promise<void>;
}

const migrations: Migration[] = [
  {
    version: 1,
    name: 'instance leases',
    sql: (s) => `create table ${s}.gateway_instances (
        instance_id text primary key,
        expires_at timestamptz not null,
        renewed_at timestamptz not null
      );`,
  },
];

/** Leases in the gateway's database, beside the events: every instance of one store sees them. */
export async function createSqlInstanceLeases(
  client: SqlClient,
  schema: string,
): Promise<InstanceLeases> {
  await migrate(client, schema, { table: 'instance_migrations', migrations });
  const table = `${schema}.gateway_instances`;
  return {
    async renew(instance, ttlMs) {
      await client.query({
        text: `insert into ${table} as i (instance_id, expires_at, renewed_at)
          values ($1, now() + $2 * interval '1 millisecond', now())
          on conflict (instance_id) do update
            set expires_at = excluded.expires_at, renewed_at = excluded.renewed_at`,
        values: [instance, ttlMs],
      });
    },
    async alive() {
      const rows = await client.query<{ instance_id: string }>({
        text: `select instance_id from ${table} where expires_at > now()`,
        values: [],
      });
      return new Set(rows.map((row) => row.instance_id));
    },
    async release(instance) {
      await client.query({
        text: `update ${table} set expires_at = now() where instance_id = $1`,
        values: [instance],
      });
    },
  };
}

/** Leases in memory, for tests and single-process setups. */
export function createMemoryInstanceLeases(now: () => number = Date.now): InstanceLeases {
  const expiries = new Map<string, number>();
  return {
    async renew(instance, ttlMs) {
      expiries.set(instance, now() + ttlMs);
    },
    async alive() {
      const at = now();
      return new Set([...expiries].filter(([, until]) => until > at).map(([id]) => id));
    },
    async release(instance) {
      expiries.delete(instance);
    },
  };
}
