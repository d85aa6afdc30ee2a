/**
 * The port every queue adapter implements: a durable, acknowledged queue per topic, read by
 * consumer groups. What is the same for every adapter (middleware, retries, dead letters,
 * priorities, per-key order, backpressure) lives once above it, in `create-bus.ts`; an adapter
 * only moves envelopes. `test/contract/bus.contract.ts` holds every adapter to this contract.
 */

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** A message as adapters carry it, fully formed by the bus before it is sent. */
export interface Envelope {
  /** Unique per message. With an `idempotencyKey` it is derived from it, so a repeat is recognisable. */
  id: string;
  topic: string;
  /** A JSON value. */
  payload: unknown;
  /** Partition/ordering key: one consumer handles a key's messages one at a time, in order. */
  key?: string;
  priority: Priority;
  /** Correlation id, tenant, traceparent and anything middleware adds. */
  headers: Record<string, string>;
  /** Epoch milliseconds. */
  publishedAt: number;
  /** Epoch milliseconds: not delivered before. Kept across restarts by durable adapters. */
  deliverAt?: number;
  /** A second envelope with the same key on the same topic, within the adapter's window, is dropped. */
  idempotencyKey?: string;
}

export interface SendResult {
  id: string;
  /** True when the adapter dropped it as a repeat of an earlier idempotency key. */
  duplicate: boolean;
}

export interface TransportDelivery {
  envelope: Envelope;
  /** 1 on the first delivery; each release and each expired visibility timeout adds one. */
  attempt: number;
  /** Done: never delivered again to this group. */
  ack(): Promise<void>;
  /** Back to the queue: delivered again (attempt + 1) no sooner than `delayMs` from now. */
  release(delayMs: number): Promise<void>;
}

export interface ReceiveOptions {
  /** Consumer group: every group sees every message of the topic; its members share them. */
  group: string;
  /** This member's name, unique among the group's live members. */
  consumer: string;
  /** Most deliveries handed over and not yet acknowledged or released. */
  prefetch: number;
  /** A delivery neither acknowledged nor released within this is delivered again. */
  visibilityTimeoutMs: number;
}

export interface Receiver {
  /** Stops handing over new deliveries until `resume`; those in hand stay valid. */
  pause(): void;
  resume(): void;
  /**
   * Stops receiving; resolves once nothing more will be handed over. Deliveries not yet
   * acknowledged are delivered again later (after their visibility timeout at the latest).
   */
  close(): Promise<void>;
}

export interface TransportHealth {
  ok: boolean;
  detail: string;
}

export interface BusTransport {
  /** `memory`, `postgres`, `redis`, `nats`, `amqp`, `composite`. */
  readonly kind: string;
  /** Resolves once every envelope is stored durably (publisher confirms), in the given order. */
  send(envelopes: readonly Envelope[]): Promise<SendResult[]>;
  receive(
    topic: string,
    options: ReceiveOptions,
    deliver: (delivery: TransportDelivery) => void,
  ): Promise<Receiver>;
  /** Messages of the topic the group has not acknowledged yet (waiting, delayed, in hand). */
  depth(topic: string, group: string): Promise<number>;
  health(): Promise<TransportHealth>;
  /** Closes connections; receivers still open are closed first. */
  close(): Promise<void>;
}

/** Thrown by `send` when a bounded adapter is full; the bus waits and tries again, bounded. */
export class BusFullError extends Error {
  override readonly name = 'BusFullError';
}
