import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { installContextManager } from './tracing-context.js';

export type { Attributes, Context, Span, SpanExporter };
export { SpanKind, SpanStatusCode };

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent; default: the active context. */
  parent?: Context;
}

/**
 * This gateway's tracer. Each gateway has its own provider (never the API's global one), so
 * gateways of one process (tests) export to their own exporters. Off (`NO_TRACING`), every
 * call is the plain call it wraps: nothing is allocated on the request path.
 */
export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /**
   * Runs `fn` in a new span, active for its async calls, ended when `fn` settles; a throw sets
   * the span's status to error (the error is rethrown unchanged).
   */
  inSpan<T>(
    name: string,
    options: SpanOptions,
    fn: (span: Span | undefined) => Promise<T>,
  ): Promise<T>;
  /** A span the caller ends, child of `options.parent` (default: the active context). */
  startSpan(name: string, options: SpanOptions): Span;
  /** Runs `fn` with `span` active (as a child of `parent`) for its async calls. */
  activate<T>(span: Span, parent: Context, fn: () => T): T;
  /** Exports what ended and is still buffered. */
  forceFlush(): Promise<void>;
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

export const NO_TRACING: Tracing = {
  enabled: false,
  tracer: trace.getTracer('a2a-gateway-off'),
  inSpan: (_name, _options, fn) => fn(undefined),
  startSpan: () => trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
  activate: (_span, _parent, fn) => fn(),
  forceFlush: async () => {},
  shutdown: async () => {},
};

export interface TracingOptions {
  serviceName: string;
  /** `service.instance.id`: which instance of the gateway made a span. */
  instance?: string;
  /** Full URL of an OTLP/HTTP traces endpoint (`…/v1/traces`): spans go there in batches. */
  otlpTracesUrl?: string;
  /** Another exporter (tests: an in-memory one), each span exported as it ends. */
  exporter?: SpanExporter;
  /** Of new traces (no sampled parent), the fraction recorded; a caller's decision is kept. */
  sampleRatio?: number;
}

/**
 * The tracer of one gateway: on when it has somewhere to send spans (an OTLP endpoint or a
 * given exporter), else `NO_TRACING`.
 */
export function createTracing(options: TracingOptions): Tracing {
  const processors: SpanProcessor[] = [];
  if (options.otlpTracesUrl) {
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpTracesUrl })));
  }
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  if (processors.length === 0) return NO_TRACING;
  installContextManager();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      ...(options.instance ? { 'service.instance.id': options.instance } : {}),
    }),
    sampler: new ParentBasedSampler({
      root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1),
    }),
    spanProcessors: processors,
  });
  const tracer = provider.getTracer('a2a-gateway');
  const startSpan = (name: string, spanOptions: SpanOptions, parent: Context) =>
    tracer.startSpan(
      name,
      {
        ...(spanOptions.kind !== undefined ? { kind: spanOptions.kind } : {}),
        ...(spanOptions.attributes ? { attributes: spanOptions.attributes } : {}),
      },
      parent,
    );
  return {
    enabled: true,
    tracer,
    startSpan: (name, spanOptions) =>
      startSpan(name, spanOptions, spanOptions.parent ?? context.active()),
    activate: (span, parent, fn) => context.with(trace.setSpan(parent, span), fn),
    async inSpan(name, spanOptions, fn) {
      const parent = spanOptions.parent ?? context.active();
      const span = startSpan(name, spanOptions, parent);
      try {
        return await context.with(trace.setSpan(parent, span), () => fn(span));
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** Marks `span` failed by `error`: its status, and the exception as an event. */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** The traces URL the standard OTLP variables name (the signal's own wins), or undefined. */
export function otlpTracesUrl(settings: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
}): string | undefined {
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
    return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}
