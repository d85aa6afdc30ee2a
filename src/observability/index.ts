export { describeCause, innermostCause } from './error-cause.js';
export { createLogger, type Logger, type LogLevel } from './logger.js';
export {
  type Attributes,
  type Context,
  createTracing,
  failSpan,
  NO_TRACING,
  otlpTracesUrl,
  type Span,
  type SpanExporter,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Tracing,
  type TracingOptions,
} from './tracing.js';
export {
  contextFromTraceparent,
  currentTraceparent,
  traceHeaders,
} from './tracing-context.js';
