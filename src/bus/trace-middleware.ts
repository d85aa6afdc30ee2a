import {
  contextFromTraceparent,
  currentTraceparent,
  SpanKind,
  type Tracing,
  traceHeaders,
} from '../observability/index.js';
import type { BusMiddleware } from './middleware.js';

/**
 * Carries the trace across the bus: a publish is a producer span (child of the active span,
 * else of a `traceparent` the publisher put in the headers), its context written into the
 * envelope's `traceparent`/`tracestate` headers; handling a message is a consumer span, child
 * of those headers, active while the handler runs. A job run on another instance thus stays
 * in the trace of the request that queued it; a dead letter sent again keeps its headers.
 */
export function traceMessages(tracing: Tracing): BusMiddleware {
  return {
    name: 'trace',
    publish({ envelope }, next) {
      const { headers } = envelope;
      const given = currentTraceparent()
        ? {}
        : { parent: contextFromTraceparent(headers.traceparent, headers.tracestate) };
      return tracing.inSpan(
        `${envelope.topic} publish`,
        {
          kind: SpanKind.PRODUCER,
          ...given,
          attributes: {
            'messaging.operation.type': 'send',
            'messaging.destination.name': envelope.topic,
            'messaging.message.id': envelope.id,
          },
        },
        async () => {
          Object.assign(headers, traceHeaders());
          await next();
        },
      );
    },
    consume({ message, group }, next) {
      return tracing.inSpan(
        `${message.topic} process`,
        {
          kind: SpanKind.CONSUMER,
          parent: contextFromTraceparent(message.headers.traceparent, message.headers.tracestate),
          attributes: {
            'messaging.operation.type': 'process',
            'messaging.destination.name': message.topic,
            'messaging.consumer.group.name': group,
            'messaging.message.id': message.id,
            'messaging.message.delivery_attempt': message.attempt,
          },
        },
        () => next(),
      );
    },
  };
}
