export type { AmqpReceiver } from './amqp/amqp-receiver.js';
export {
  type AmqpTransport,
  type AmqpTransportOptions,
  createAmqpTransport,
} from './amqp/amqp-transport.js';
export {
  authorizeTopics,
  BusPublishRefused,
  enrichHeaders,
  type TimingSample,
  timing,
  validatePayloads,
} from './builtin-middleware.js';
export {
  type Bus,
  BusBackpressureError,
  type BusHealth,
  type BusMessage,
  type Consumer,
  type ConsumerOptions,
  type ConsumerStats,
  type MessageHandler,
  type OutgoingMessage,
  PermanentFailure,
  type PublishReceipt,
  type RetryPolicy,
} from './bus.js';
export {
  type CompositeRoutes,
  CompositeRoutesSchema,
  createCompositeTransport,
} from './composite-transport.js';
export { ONLY_GROUP_HEADER } from './consumer.js';
export {
  type CreateBusOptions,
  createBus,
  type GatewayBus,
  idempotentMessageId,
} from './create-bus.js';
export {
  DEAD_LETTER_EVENT_TYPES,
  registerDeadLetterEvents,
} from './dead-letter-events.js';
export {
  type DeadLetterAdmin,
  type DeadLetterEntry,
  type DeadLetterFilter,
  DeadLetterNotFound,
  type DeadLetterState,
  DeadLetterStateConflict,
  OPEN_STATES,
} from './dead-letters.js';
export {
  createMemoryTransport,
  MemoryBroker,
  type MemoryBrokerOptions,
} from './memory/memory-transport.js';
export type { BusMiddleware, ConsumeContext, Middleware, PublishContext } from './middleware.js';
export {
  createNatsTransport,
  type NatsTransportOptions,
} from './nats/nats-transport.js';
export { createMemoryNotifier, type Notifier } from './notifier.js';
export {
  createPostgresTransport,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  migrateBus,
  type PostgresTransportOptions,
  sendInTransaction,
} from './postgres/postgres-transport.js';
export { busMigrations } from './postgres/schema.js';
export { createRedisNotifier, type RedisNotifierOptions } from './redis/redis-notifier.js';
export { createRedisTransport, type RedisTransportOptions } from './redis/redis-transport.js';
export { DEFAULT_RETRY, retriesLeft, retryDelay } from './retry-policy.js';
export { traceMessages } from './trace-middleware.js';
export {
  BusFullError,
  type BusTransport,
  type Envelope,
  PRIORITIES,
  type Priority,
  type ReceiveOptions,
  type Receiver,
  type SendResult,
  type TransportDelivery,
  type TransportHealth,
} from './transport.js';
