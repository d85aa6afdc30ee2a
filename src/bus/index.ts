export {
  createMemoryTransport,
  MemoryBroker,
  type MemoryBrokerOptions,
} from './memory/memory-transport.js';
export {
  createNatsTransport,
  type NatsTransportOptions,
} from './nats/nats-transport.js';
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
