import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Seconds: from a cached GetTask (sub-millisecond) to a blocking call that waits on an agent. */
const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
/** Seconds: one round trip of the store, group commits included. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * The gateway's Prometheus metrics, in a registry of its own (not prom-client's global one):
 * several gateways in one process, as tests start them, each count only their own.
 * Gauges that read state at scrape time are added by the composition root (gateway-metrics.ts)
 * on `registry`, with a collect callback.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** One HTTP request answered: `route` is the matched route's pattern, never the raw path. */
  observeHttp(request: { method: string; route: string; status: number; seconds: number }): void;
  /** One JSON-RPC call (each call of a batch counts): `outcome` is `ok` or an error's name. */
  observeRpc(call: { method: string; outcome: string; seconds: number }): void;
  /** One event store call (`append`, `readStream`, `readAll`, ...), failed or not. */
  observeStore(operation: string, ok: boolean, seconds: number): void;
  /** The exposition text: this gateway's metrics, then the process's. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

export function createGatewayMetrics(): GatewayMetrics {
  processRegistry(); // observing from now on, not from the first scrape
  const registry = new Registry();
  const httpRequests = new Counter({
    name: 'a2a_http_requests_total',
    help: 'HTTP requests answered, by method, matched route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'a2a_http_request_duration_seconds',
    help: 'Time to the answer (an SSE stream: to its first byte), by method, route and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const rpcCalls = new Counter({
    name: 'a2a_jsonrpc_requests_total',
    help: 'JSON-RPC calls, by method and outcome (ok, stream, or the error name)',
    labelNames: ['rpc_method', 'outcome'] as const,
    registers: [registry],
  });
  const rpcDuration = new Histogram({
    name: 'a2a_jsonrpc_request_duration_seconds',
    help: 'Time to answer a JSON-RPC call (a stream: until it starts), by method and outcome',
    labelNames: ['rpc_method', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const storeDuration = new Histogram({
    name: 'a2a_event_store_operation_duration_seconds',
    help: 'Event store calls (append, readStream, readAll, ...), by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: STORE_BUCKETS,
    registers: [registry],
  });
  return {
    registry,
    observeHttp({ method, route, status, seconds }) {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe(
        { method, route, status_class: `${Math.floor(status / 100)}xx` },
        seconds,
      );
    },
    observeRpc({ method, outcome, seconds }) {
      rpcCalls.inc({ rpc_method: method, outcome });
      rpcDuration.observe({ rpc_method: method, outcome }, seconds);
    },
    observeStore(operation, ok, seconds) {
      storeDuration.observe({ operation, outcome: ok ? 'ok' : 'error' }, seconds);
    },
    async scrape() {
      const [own, processWide] = await Promise.all([
        registry.metrics(),
        processRegistry().metrics(),
      ]);
      return { contentType: registry.contentType, body: `${own}\n${processWide}` };
    },
  };
}

let processMetrics: Registry | undefined;

/**
 * CPU, memory, event loop lag, GC, handles: facts of the process, not of one gateway. One
 * registry per process, made on first use: each collection installs observers that live as
 * long as the process, which one per gateway (tests start dozens) would pile up.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}
