import { Gauge } from 'prom-client';
import { A2A_ERROR_CODES, type JsonRpcBinding } from './a2a/index.js';
import { type GatewayBus, OPEN_STATES } from './bus/index.js';
import type { GatewayMetrics, Logger } from './observability/index.js';
import { A2A_METHODS, v03 } from './protocol/index.js';
import type { DurableSubscriber, EventStore } from './store/index.js';
import type { TaskView } from './tasks/index.js';

/**
 * The metrics that need the gateway's parts: timing decorators over the event store and the
 * JSON-RPC binding, and gauges read at scrape time. `observability/` imports nothing of ours,
 * so the wiring lives here, in the composition root.
 */

/** Store calls timed: every append and every read a request or a follower makes. */
const TIMED_STORE_CALLS = [
  'append',
  'readStream',
  'readAll',
  'readByCorrelation',
  'readByTime',
  'headPosition',
  'streamInfo',
  'loadSnapshot',
] as const satisfies readonly (keyof EventStore)[];

/** The store, each append and read timed into `a2a_event_store_operation_duration_seconds`. */
export function instrumentStore(store: EventStore, metrics: GatewayMetrics): EventStore {
  const timed = new Map<PropertyKey, unknown>();
  for (const name of TIMED_STORE_CALLS) {
    const call = (store[name] as (...args: unknown[]) => Promise<unknown>).bind(store);
    timed.set(name, async (...args: unknown[]) => {
      const started = performance.now();
      try {
        const result = await call(...args);
        metrics.observeStore(name, true, (performance.now() - started) / 1_000);
        return result;
      } catch (error) {
        metrics.observeStore(name, false, (performance.now() - started) / 1_000);
        throw error;
      }
    });
  }
  // Everything else passes through, bound once (subscriptions are made on every request).
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      if (timed.has(property)) return timed.get(property);
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(property);
      if (!fn) {
        fn = value.bind(target);
        bound.set(property, fn);
      }
      return fn;
    },
  });
}

const KNOWN_METHODS = new Set<string>([...A2A_METHODS, ...Object.keys(v03.V03_METHOD_TO_V1)]);
const ERROR_NAMES = new Map<number, string>(
  Object.entries(A2A_ERROR_CODES).map(([name, code]) => [code, name]),
);

/**
 * The binding, each JSON-RPC call counted and timed by method and outcome (a batch counts
 * each call), and logged at debug with the task it concerns. Method names are labels only
 * when they are A2A methods: a client cannot mint new series.
 */
export function instrumentBinding(
  binding: JsonRpcBinding,
  metrics: GatewayMetrics,
  logger: Logger,
): JsonRpcBinding {
  const log = logger.child({ component: 'json-rpc' });
  const debug = logger.enabled?.('debug') !== false;
  return {
    ...binding,
    async handle(body, ctx, version) {
      const started = performance.now();
      const reply = await binding.handle(body, ctx, version);
      const seconds = (performance.now() - started) / 1_000;
      const answers = reply.type === 'json' ? reply.body : undefined;
      const calls = Array.isArray(body)
        ? Array.isArray(answers)
          ? body.map((call) => [call, answerTo(call, answers)] as const)
          : [[{ method: 'batch' }, answers] as const] // refused as a whole
        : [[body, reply.type === 'stream' ? 'stream' : answers] as const];
      for (const [call, answer] of calls) {
        const named = (call as { method?: unknown } | null)?.method;
        const method = typeof named === 'string' && KNOWN_METHODS.has(named) ? named : 'unknown';
        const outcome = outcomeOf(answer);
        metrics.observeRpc({ method: named === 'batch' ? 'batch' : method, outcome, seconds });
        // The line's fields walk the call and its answer: only when someone reads debug.
        if (!debug) continue;
        log.debug('json-rpc call', {
          correlationId: ctx.correlationId,
          rpcMethod: method,
          outcome,
          durationMs: Math.round(seconds * 1_000_000) / 1_000,
          principal: ctx.caller.name,
          ...tenantOf(ctx, call),
          ...taskOf(call, answer),
        });
      }
      return reply;
    },
  };
}

type Answer = unknown;

function answerTo(call: unknown, answers: readonly unknown[]): Answer {
  const id = (call as { id?: unknown } | null)?.id;
  if (id === undefined) return undefined; // a notification: nothing answers it
  return answers.find((answer) => (answer as { id?: unknown }).id === id);
}

function outcomeOf(answer: Answer): string {
  if (answer === 'stream') return 'stream';
  const error = (answer as { error?: { code?: unknown } } | undefined)?.error;
  if (!error) return 'ok';
  return typeof error.code === 'number'
    ? (ERROR_NAMES.get(error.code) ?? 'other_error')
    : 'other_error';
}

function tenantOf(ctx: { caller: { tenant: string | null }; urlTenant?: string }, call: unknown) {
  const named = (call as { params?: { tenant?: unknown } } | null)?.params?.tenant;
  const tenant =
    ctx.caller.tenant ?? ctx.urlTenant ?? (typeof named === 'string' ? named : undefined);
  return tenant !== undefined ? { tenant } : {};
}

/** The task a call named or, for a new one, the task its answer describes. */
function taskOf(call: unknown, answer: Answer): { taskId?: string; contextId?: string } {
  const params = (call as { params?: Record<string, unknown> } | null)?.params;
  const message = params?.message as { taskId?: unknown; contextId?: unknown } | undefined;
  const result = (answer as { result?: Record<string, unknown> } | undefined)?.result;
  const task = (result?.task ?? result) as { id?: unknown; contextId?: unknown } | undefined;
  const taskId = [params?.id, message?.taskId, task?.id].find((id) => typeof id === 'string');
  const contextId = [message?.contextId, task?.contextId].find((id) => typeof id === 'string');
  return {
    ...(typeof taskId === 'string' ? { taskId } : {}),
    ...(typeof contextId === 'string' ? { contextId } : {}),
  };
}

/** A durable subscriber whose lag the gateway watches. */
export interface WatchedSubscriber {
  name: string;
  subscriber: DurableSubscriber;
  /** The event types it follows: other events do not count as lag. */
  types: readonly string[];
}

/**
 * Events the subscriber has not handled yet, counted up to `cap` (positions are not counts:
 * on PostgreSQL they are transaction ids shifted, so the difference says nothing).
 */
export async function subscriberLag(
  store: EventStore,
  watched: WatchedSubscriber,
  cap: number,
): Promise<number> {
  const page = await store.readAll({
    after: watched.subscriber.position,
    limit: cap,
    types: watched.types,
  });
  return page.events.length;
}

export interface GaugeSources {
  /** The store itself, not its timed decorator: scrapes do not count as traffic. */
  store: EventStore;
  view: TaskView;
  subscribers: readonly WatchedSubscriber[];
  /** Lag is counted up to this many events per scrape. */
  lagCap: number;
  openStreams(): number;
  runningTasks(): number;
  bus: GatewayBus;
  agentHealth(): Record<string, { status: string; breaker?: string }>;
  logger: Logger;
}

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;
const EXECUTOR_STATUSES = ['starting', 'up', 'degraded', 'down'] as const;

/** Gauges computed at scrape time, on the gateway's registry. */
export function registerGatewayGauges(metrics: GatewayMetrics, sources: GaugeSources): void {
  const registers = [metrics.registry];
  // A part that cannot answer leaves its gauges empty for this scrape, not the whole scrape.
  const guarded =
    (what: string, collect: () => Promise<void> | void) => async (): Promise<void> => {
      try {
        await collect();
      } catch (error) {
        sources.logger.warn('a metric could not be collected', { metric: what, error });
      }
    };

  const tasks: Gauge<'state'> = new Gauge({
    name: 'a2a_tasks',
    help: 'Tasks by state, every tenant together (from the task view)',
    labelNames: ['state'],
    registers,
    collect: guarded('a2a_tasks', async () => {
      const counts = await sources.view.countByState();
      tasks.reset();
      for (const [state, total] of Object.entries(counts)) tasks.set({ state }, total);
    }),
  });
  const streams: Gauge = new Gauge({
    name: 'a2a_sse_streams_open',
    help: 'SSE streams open now',
    registers,
    collect: () => streams.set(sources.openStreams()),
  });
  const runs: Gauge = new Gauge({
    name: 'a2a_task_runs_in_progress',
    help: 'Agent runs in progress in this process',
    registers,
    collect: () => runs.set(sources.runningTasks()),
  });
  const subscriptions: Gauge<'state'> = new Gauge({
    name: 'a2a_event_store_subscriptions',
    help: 'Store subscriptions open (all) and attached to the live feed (live)',
    labelNames: ['state'],
    registers,
    collect: () => {
      const stats = sources.store.stats();
      subscriptions.set({ state: 'all' }, stats.subscriptions);
      subscriptions.set({ state: 'live' }, stats.liveListeners);
    },
  });
  const lag: Gauge<'subscriber'> = new Gauge({
    name: 'a2a_subscription_lag_events',
    help: `Events a durable subscriber has not handled yet (counted up to ${sources.lagCap})`,
    labelNames: ['subscriber'],
    registers,
    collect: guarded('a2a_subscription_lag_events', async () => {
      for (const watched of sources.subscribers)
        lag.set(
          { subscriber: watched.name },
          await subscriberLag(sources.store, watched, sources.lagCap),
        );
    }),
  });
  const positions: Gauge<'subscriber'> = new Gauge({
    name: 'a2a_event_store_position',
    help: 'Global positions: the store head (subscriber="head") and each durable subscriber',
    labelNames: ['subscriber'],
    registers,
    collect: guarded('a2a_event_store_position', async () => {
      positions.set({ subscriber: 'head' }, await sources.store.headPosition());
      for (const watched of sources.subscribers)
        positions.set({ subscriber: watched.name }, watched.subscriber.position);
    }),
  });

  const busUp: Gauge = new Gauge({
    name: 'a2a_bus_up',
    help: 'The bus transport answers (1) or not (0)',
    registers,
    collect: guarded('a2a_bus_up', async () => {
      busUp.set((await sources.bus.health()).ok ? 1 : 0);
    }),
  });
  const depth: Gauge<'topic' | 'group'> = new Gauge({
    name: 'a2a_bus_depth',
    help: "Messages of a topic its consumer group has not acknowledged yet (this process's groups)",
    labelNames: ['topic', 'group'],
    registers,
    collect: guarded('a2a_bus_depth', async () => {
      depth.reset();
      const { consumers } = await sources.bus.health();
      const seen = new Set<string>();
      for (const { topic, group } of consumers) {
        if (seen.has(`${topic}\n${group}`)) continue;
        seen.add(`${topic}\n${group}`);
        depth.set({ topic, group }, await sources.bus.depth(topic, group));
      }
    }),
  });
  const inFlight: Gauge<'topic' | 'group'> = new Gauge({
    name: 'a2a_bus_in_flight',
    help: "Messages this process's consumers are handling now",
    labelNames: ['topic', 'group'],
    registers,
    collect: guarded('a2a_bus_in_flight', async () => {
      inFlight.reset();
      for (const consumer of (await sources.bus.health()).consumers)
        inFlight.inc({ topic: consumer.topic, group: consumer.group }, consumer.inFlight);
    }),
  });
  const deadLetters: Gauge<'topic' | 'group' | 'state'> = new Gauge({
    name: 'a2a_bus_dead_letters',
    help: 'Dead letters not resolved or purged, by topic, group and state',
    labelNames: ['topic', 'group', 'state'],
    registers,
    collect: guarded('a2a_bus_dead_letters', async () => {
      const entries = await sources.bus.deadLetters.list({ states: OPEN_STATES });
      deadLetters.reset();
      for (const entry of entries)
        deadLetters.inc({ topic: entry.topic, group: entry.group, state: entry.state });
    }),
  });

  const executors: Gauge<'agent' | 'status'> = new Gauge({
    name: 'a2a_executor_status',
    help: "Each hosted agent's executor: 1 for its current status (starting, up, degraded, down)",
    labelNames: ['agent', 'status'],
    registers,
    collect: () => {
      for (const [agent, health] of Object.entries(sources.agentHealth()))
        for (const status of EXECUTOR_STATUSES)
          executors.set({ agent, status }, health.status === status ? 1 : 0);
    },
  });
  const breakers: Gauge<'agent' | 'state'> = new Gauge({
    name: 'a2a_executor_circuit_breaker_state',
    help: 'Circuit breakers of upstream agents: 1 for the current state (closed, open, half-open)',
    labelNames: ['agent', 'state'],
    registers,
    collect: () => {
      for (const [agent, health] of Object.entries(sources.agentHealth())) {
        if (health.breaker === undefined) continue;
        for (const state of BREAKER_STATES)
          breakers.set({ agent, state }, health.breaker === state ? 1 : 0);
      }
    },
  });
}
