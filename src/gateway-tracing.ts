import type { Config } from './config/index.js';
import {
  createTracing,
  otlpTracesUrl,
  type SpanExporter,
  SpanKind,
  type Tracing,
} from './observability/index.js';
import type { EventStore } from './store/index.js';

/**
 * The gateway's tracer, per the OTEL_* settings: on when an OTLP endpoint is configured, or
 * when the caller gives an exporter (tests: an in-memory one); else nothing is traced.
 */
export function createGatewayTracing(
  config: Config,
  instance: string,
  exporter?: SpanExporter,
): Tracing {
  const url = otlpTracesUrl(config);
  return createTracing({
    serviceName: config.OTEL_SERVICE_NAME,
    instance,
    sampleRatio: config.OTEL_TRACES_SAMPLER_ARG,
    ...(url ? { otlpTracesUrl: url } : {}),
    ...(exporter ? { exporter } : {}),
  });
}

/**
 * The store with a span per append (commands, the saga's reports, dead letters), child of
 * whatever caused it; the store itself when not tracing. Only `append` is wrapped: the store's
 * other methods are its own, unchanged.
 */
export function tracedStore(store: EventStore, tracing: Tracing): EventStore {
  if (!tracing.enabled) return store;
  const traced: EventStore = Object.create(store);
  traced.append = (streamId, events, options) =>
    tracing.inSpan(
      'store.append',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.operation.name': 'append',
          'event_store.stream': streamId,
          'event_store.events': events.length,
          'event_store.types': [...new Set(events.map((event) => event.type))],
        },
      },
      async (span) => {
        const result = await store.append(streamId, events, options);
        if (result.alreadyAppended) span?.setAttribute('event_store.already_appended', true);
        return result;
      },
    );
  return traced;
}
