export { describeCause, innermostCause } from './error-cause.js';
export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './logger.js';
export { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
export { maskUrlPasswords, REDACTED } from './redaction.js';
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
