import type { GatewayBus } from './bus/index.js';
import { subscriberLag, type WatchedSubscriber } from './gateway-metrics.js';
import type { ReadinessCheck } from './http/index.js';
import type { EventStore, SqlClient } from './store/index.js';

export interface ReadinessDeps {
  store: EventStore;
  views: SqlClient;
  schema: string;
  /** Migration sets and how many of each were applied when start-up finished. */
  migrated: ReadonlyMap<string, number>;
  taskView: WatchedSubscriber;
  maxLagEvents: number;
  bus: GatewayBus;
  agentHealth(): Record<string, { status: string; detail?: string }>;
}

/**
 * What `/readyz` asks: the store answers, the schema still holds every migration start-up
 * applied, the task view is within `maxLagEvents` of the head (ListTasks would otherwise wait
 * and answer stale), the bus answers and no agent's executor is down.
 */
export function gatewayReadinessChecks(deps: ReadinessDeps): ReadinessCheck[] {
  return [
    {
      name: 'store',
      async check() {
        await deps.store.streamInfo('readyz');
        return { ok: true };
      },
    },
    {
      name: 'migrations',
      async check() {
        const now = await migrationCounts(deps.views, deps.schema);
        const missing = [...deps.migrated]
          .filter(([table, count]) => (now.get(table) ?? 0) < count)
          .map(([table, count]) => `${table} has ${now.get(table) ?? 'none'} of ${count}`);
        return missing.length === 0
          ? { ok: true, detail: `${deps.migrated.size} migration sets applied` }
          : { ok: false, detail: missing.join('; ') };
      },
    },
    lagCheck('task-view', deps.store, deps.taskView, deps.maxLagEvents),
    {
      name: 'bus',
      async check() {
        const health = await deps.bus.health();
        return { ok: health.ok, detail: `${health.kind}: ${health.detail}` };
      },
    },
    {
      name: 'executors',
      async check() {
        const down = Object.entries(deps.agentHealth()).filter(
          ([, health]) => health.status === 'down',
        );
        return down.length === 0
          ? { ok: true }
          : {
              ok: false,
              detail: down
                .map(([agent, health]) => `${agent}: ${health.detail ?? health.status}`)
                .join('; '),
            };
      },
    },
  ];
}

/** Fails while `watched` is more than `maxLagEvents` events behind the store's head. */
export function lagCheck(
  name: string,
  store: EventStore,
  watched: WatchedSubscriber,
  maxLagEvents: number,
): ReadinessCheck {
  return {
    name,
    async check() {
      const lag = await subscriberLag(store, watched, maxLagEvents + 1);
      return lag <= maxLagEvents
        ? { ok: true, detail: `${lag} events behind` }
        : { ok: false, detail: `more than ${maxLagEvents} events behind (READY_MAX_LAG_EVENTS)` };
    },
  };
}

/** Rows of each migration table in the schema: how many migrations of each set are applied. */
export async function migrationCounts(
  views: SqlClient,
  schema: string,
): Promise<Map<string, number>> {
  const tables = await views.query<{ table_name: string }>({
    text: `select table_name from information_schema.tables
      where table_schema = $1 and table_name like '%migrations'`,
    values: [schema],
  });
  const counts = new Map<string, number>();
  for (const { table_name: table } of tables) {
    const [row] = await views.query<{ applied: number }>({
      text: `select count(*)::int as applied from ${schema}."${table.replaceAll('"', '""')}"`,
      values: [],
    });
    counts.set(table, Number(row?.applied ?? 0));
  }
  return counts;
}
