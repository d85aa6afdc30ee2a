import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createBus,
  createMemoryTransport,
  type GatewayBus,
  registerDeadLetterEvents,
  traceMessages,
} from '../../src/bus/index.js';
import { createEventRegistry } from '../../src/events/index.js';
import {
  createLogger,
  createTracing,
  currentTraceparent,
  NO_TRACING,
  otlpTracesUrl,
  SpanKind,
  type Tracing,
} from '../../src/observability/index.js';
import { createMemoryEventStore } from '../../src/store/index.js';
import { eventually } from '../support/collect.js';

const quiet = createLogger({ level: 'silent' });
const RETRY = { kind: 'fixed' as const, delayMs: 10, maxAttempts: 3 };

describe('bus messages carry the trace', () => {
  const open: { bus: GatewayBus; tracing: Tracing }[] = [];
  afterEach(async () => {
    for (const { bus, tracing } of open.splice(0)) {
      await bus.close(1_000);
      await tracing.shutdown();
    }
  });

  function tracedBus() {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ serviceName: 'bus-test', exporter });
    const store = createMemoryEventStore({
      registry: registerDeadLetterEvents(createEventRegistry()),
    });
    const bus = createBus(createMemoryTransport(), {
      log: quiet,
      store,
      middleware: [traceMessages(tracing)],
    });
    open.push({ bus, tracing });
    return { bus, tracing, exporter };
  }

  it('a message published inside a span is handled in a consumer span of the same trace', async () => {
    const { bus, tracing, exporter } = tracedBus();
    const seen: { traceparent: string | undefined; headers: Record<string, string> }[] = [];
    await bus.subscribe(
      'work.done',
      async (message) => {
        seen.push({ traceparent: currentTraceparent(), headers: message.headers });
      },
      { group: 'workers', retry: RETRY },
    );
    await tracing.inSpan('caller', {}, () => bus.publish({ topic: 'work.done', payload: 1 }));
    await eventually(() => exporter.getFinishedSpans().some((s) => s.name === 'work.done process'));

    const spans = exporter.getFinishedSpans();
    const caller = spans.find((span) => span.name === 'caller')!;
    const publish = spans.find((span) => span.name === 'work.done publish')!;
    const consume = spans.find((span) => span.name === 'work.done process')!;
    const traceId = caller.spanContext().traceId;
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(publish.spanContext().traceId).toBe(traceId);
    expect(publish.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(consume.kind).toBe(SpanKind.CONSUMER);
    expect(consume.spanContext().traceId).toBe(traceId);
    expect(consume.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(consume.attributes['messaging.consumer.group.name']).toBe('workers');

    // The envelope carried the producer span; the handler ran inside the consumer span.
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.traceparent).toContain(publish.spanContext().spanId);
    expect(seen[0]!.traceparent).toBe(
      `00-${traceId}-${consume.spanContext().spanId}-0${consume.spanContext().traceFlags}`,
    );
  });

  it('a traceparent the publisher put in the headers is the parent when no span is active', async () => {
    const { bus, exporter } = tracedBus();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    await bus.subscribe('work.done', async () => {}, { group: 'workers', retry: RETRY });
    await bus.publish({
      topic: 'work.done',
      payload: 2,
      headers: { traceparent: `00-${traceId}-${parent}-01` },
    });
    await eventually(() => exporter.getFinishedSpans().some((s) => s.name === 'work.done process'));
    const publish = exporter.getFinishedSpans().find((s) => s.name === 'work.done publish')!;
    expect(publish.spanContext().traceId).toBe(traceId);
    expect(publish.parentSpanContext?.spanId).toBe(parent);
  });

  it('a handler that throws ends its consumer span as an error', async () => {
    const { bus, exporter } = tracedBus();
    await bus.subscribe(
      'work.done',
      async () => {
        throw new Error('no luck');
      },
      { group: 'workers', retry: { kind: 'fixed', delayMs: 10, maxAttempts: 1 } },
    );
    await bus.publish({ topic: 'work.done', payload: 3 });
    await eventually(() => exporter.getFinishedSpans().some((s) => s.name === 'work.done process'));
    const consume = exporter.getFinishedSpans().find((s) => s.name === 'work.done process')!;
    expect(consume.status.code).toBe(2);
    expect(consume.status.message).toBe('no luck');
  });
});

describe('tracing setup', () => {
  it('is off without an exporter or endpoint: the no-op tracing', () => {
    expect(createTracing({ serviceName: 'x' })).toBe(NO_TRACING);
    expect(currentTraceparent()).toBeUndefined();
  });

  it('takes the traces URL from the standard OTLP variables, the signal one first', () => {
    expect(otlpTracesUrl({})).toBeUndefined();
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(
      otlpTracesUrl({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://other:4318/traces',
      }),
    ).toBe('http://other:4318/traces');
  });

  it('gives each tracing its own provider: spans go only to its own exporter', async () => {
    const first = new InMemorySpanExporter();
    const second = new InMemorySpanExporter();
    const a = createTracing({ serviceName: 'a', exporter: first });
    const b = createTracing({ serviceName: 'b', exporter: second });
    await a.inSpan('in-a', {}, async () => {});
    await b.inSpan('in-b', {}, async () => {});
    expect(first.getFinishedSpans().map((span) => span.name)).toEqual(['in-a']);
    expect(second.getFinishedSpans().map((span) => span.name)).toEqual(['in-b']);
    expect(first.getFinishedSpans()[0]!.resource.attributes['service.name']).toBe('a');
    await a.shutdown();
    await b.shutdown();
  });
});
