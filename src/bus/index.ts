export {
  createMemoryTransport,
  MemoryBroker,
  type MemoryBrokerOptions,
} from './memory/memory-transport.js';
export { createMemoryNotifier, type Notifier } from './notifier.js';
export { createRedisNotifier, type RedisNotifierOptions } from './redis/redis-notifier.js';
export { createRedisTransport, type RedisTransportOptions } from './redis/redis-transport.js';
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
