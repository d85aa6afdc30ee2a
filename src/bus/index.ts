export type { AmqpReceiver } from './amqp/amqp-receiver.js';
export {
  type AmqpTransport,
  type AmqpTransportOptions,
  createAmqpTransport,
} from './amqp/amqp-transport.js';
export {
  createMemoryTransport,
  MemoryBroker,
  type MemoryBrokerOptions,
} from './memory/memory-transport.js';
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
