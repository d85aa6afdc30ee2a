export {
  createMemoryTransport,
  MemoryBroker,
  type MemoryBrokerOptions,
} from './memory/memory-transport.js';
export {
  createPostgresTransport,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  migrateBus,
  type PostgresTransportOptions,
  sendInTransaction,
} from './postgres/postgres-transport.js';
export { busMigrations } from './postgres/schema.js';
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
