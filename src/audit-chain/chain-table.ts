import {
  type EventStore,
  type Migration,
  migrate,
  type SqlClient,
  type SqlExecutor,
} from '../store/index.js';

/** The durable subscriber that seals events, and its checkpoint's name. */
export const SEALER_NAME = 'audit-chain';

/** One sealed link: an event's place in its tenant's chain. */
export interface ChainRow {
  globalPosition: number;
  tenant: string;
  streamId: string;
  eventId: string;
  prevHash: string;
  hash: string;
}

const chainMigrations: Migration[] = [
  {
    version: 1,
    name: 'event chain',
    sql: (s: string) => `
      create table ${s}.event_chain (
        global_position bigint primary key,
        tenant text not null,
        stream_id text not null,
        event_id uuid not null,
        prev_hash text not null,
        hash text not null,
        sealed_at timestamptz not null default now()
      );
      create index event_chain_tenant on ${s}.event_chain (tenant, global_position);`,
  },
];

/** Creates or updates the chain table beside the events (`migrate` and the gateway's start). */
export async function migrateAuditChain(client: SqlClient, schema: string): Promise<void> {
  await migrate(client, schema, { table: 'event_chain_migrations', migrations: chainMigrations });
}

/** The newest hash of every tenant's chain, one index probe per tenant (a loose index scan). */
export async function chainHeads(
  client: SqlExecutor,
  schema: string,
): Promise<Map<string, string>> {
  const table = `${schema}.event_chain`;
  const rows = await client.query<{ tenant: string; hash: string }>({
    text: `with recursive tenants as (
        (select tenant from ${table} order by tenant limit 1)
        union all
        select (select c.tenant from ${table} c where c.tenant > t.tenant order by c.tenant limit 1)
        from tenants t where t.tenant is not null
      )
      select t.tenant, (select c.hash from ${table} c where c.tenant = t.tenant
        order by c.global_position desc limit 1) as hash
      from tenants t where t.tenant is not null`,
    values: [],
  });
  return new Map(rows.map((row) => [row.tenant, row.hash]));
}

/**
 * Position through which every event must be in the chain: the newest sealed link, or the
 * sealer's checkpoint when that is further (the chain's tail was cut).
 */
export async function sealedThrough(
  store: EventStore,
  client: SqlExecutor,
  schema: string,
): Promise<number> {
  const [row] = await client.query<{ head: string | number | null }>({
    text: `select max(global_position) as head from ${schema}.event_chain`,
    values: [],
  });
  const checkpoint = (await store.loadCheckpoint(SEALER_NAME)) ?? 0;
  return Math.max(Number(row?.head ?? 0), checkpoint);
}

/** A tenant's (or every tenant's) links after `after`, in global order. */
export async function readChain(
  client: SqlExecutor,
  schema: string,
  options: { after: number; limit: number; tenant?: string },
): Promise<ChainRow[]> {
  const values: unknown[] = [options.after, options.limit];
  if (options.tenant !== undefined) values.push(options.tenant);
  const rows = await client.query<{
    global_position: string | number;
    tenant: string;
    stream_id: string;
    event_id: string;
    prev_hash: string;
    hash: string;
  }>({
    text: `select global_position, tenant, stream_id, event_id, prev_hash, hash
      from ${schema}.event_chain where global_position > $1
      ${options.tenant !== undefined ? 'and tenant = $3' : ''}
      order by global_position limit $2`,
    values,
  });
  return rows.map((row) => ({
    globalPosition: Number(row.global_position),
    tenant: row.tenant,
    streamId: row.stream_id,
    eventId: row.event_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  }));
}

/** Writes links; one already there (a replay, another instance) is kept as it is. */
export async function insertLinks(
  client: SqlExecutor,
  schema: string,
  links: readonly ChainRow[],
): Promise<void> {
  if (links.length === 0) return;
  await client.query({
    text: `insert into ${schema}.event_chain (global_position, tenant, stream_id, event_id, prev_hash, hash)
      select x.global_position, x.tenant, x.stream_id, x.event_id, x.prev_hash, x.hash
      from jsonb_to_recordset($1::jsonb) as x (global_position bigint, tenant text, stream_id text,
        event_id uuid, prev_hash text, hash text)
      on conflict (global_position) do nothing`,
    values: [
      JSON.stringify(
        links.map((link) => ({
          global_position: link.globalPosition,
          tenant: link.tenant,
          stream_id: link.streamId,
          event_id: link.eventId,
          prev_hash: link.prevHash,
          hash: link.hash,
        })),
      ),
    ],
  });
}
