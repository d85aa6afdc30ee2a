import type { Priority } from './transport.js';

/** What a publisher gives; the bus forms the envelope (id, time, headers from middleware). */
export interface OutgoingMessage<T = unknown> {
  topic: string;
  payload: T;
  /** Ordering key: a key's messages are handled one at a time, in publish order. */
  key?: string;
  /** Default `normal`. */
  priority?: Priority;
  /** Not delivered before this time (epoch ms or a Date); survives restarts on durable adapters. */
  deliverAt?: number | Date;
  /** Same as `deliverAt: now + delayMs`. */
  delayMs?: number;
  /** A second publish with the same key on the same topic is dropped (see the adapter's window). */
  idempotencyKey?: string;
  headers?: Record<string, string>;
}

export interface PublishReceipt {
  id: string;
  duplicate: boolean;
}

/** A message as a handler sees it. */
export interface BusMessage<T = unknown> {
  id: string;
  topic: string;
  payload: T;
  key?: string;
  priority: Priority;
  headers: Record<string, string>;
  /** 1 on the first delivery. */
  attempt: number;
  publishedAt: number;
}

/**
 * Resolving acknowledges the message; throwing hands it to the consumer's retry policy
 * (`PermanentFailure` skips the retries). `signal` aborts when the consumer is stopped hard.
 */
export type MessageHandler<T = unknown> = (
  message: BusMessage<T>,
  signal: AbortSignal,
) => Promise<void>;

export type RetryPolicy =
  | { kind: 'fixed'; delayMs: number; maxAttempts: number }
  | {
      kind: 'exponential';
      baseMs: number;
      maxMs: number;
      maxAttempts: number;
      /** Full jitter (a random delay up to the exponential one): default true. */
      jitter?: boolean;
    };

export interface ConsumerOptions {
  /** Consumer group; members of one group share its messages. */
  group: string;
  /** Most handlers running at once (bounded in-flight). Default 8. */
  concurrency?: number;
  /** Redelivered when a handler holds a message longer. Default 30 s. */
  visibilityTimeoutMs?: number;
  /** Default: exponential from 1 s to 5 min, 8 attempts. */
  retry?: RetryPolicy;
  /** A waiting message rises one priority step per this much waiting. Default 1 s. */
  agingMs?: number;
}

export interface ConsumerStats {
  inFlight: number;
  handled: number;
  failed: number;
  deadLettered: number;
}

export interface Consumer {
  readonly topic: string;
  readonly group: string;
  pause(): void;
  resume(): void;
  /** Takes nothing more; resolves when the handlers running now have finished. */
  drain(): Promise<void>;
  stats(): ConsumerStats;
}

export interface BusHealth {
  ok: boolean;
  kind: string;
  detail: string;
  consumers: { topic: string; group: string; paused: boolean; inFlight: number }[];
}

export interface Bus {
  readonly kind: string;
  publish<T>(message: OutgoingMessage<T>): Promise<PublishReceipt>;
  publishBatch(messages: readonly OutgoingMessage[]): Promise<PublishReceipt[]>;
  subscribe<T>(
    topic: string,
    handler: MessageHandler<T>,
    options: ConsumerOptions,
  ): Promise<Consumer>;
  /** Messages of the topic the group has not acknowledged yet. */
  depth(topic: string, group: string): Promise<number>;
  health(): Promise<BusHealth>;
  /** Graceful: consumers drain (bounded by `timeoutMs`), then the transport closes. */
  close(timeoutMs?: number): Promise<void>;
}

/** Thrown by a handler for a message that retrying cannot help: dead-lettered at once. */
export class PermanentFailure extends Error {
  override readonly name = 'PermanentFailure';
}

/** Publishing waited longer than its bound for room (backpressure). */
export class BusBackpressureError extends Error {
  override readonly name = 'BusBackpressureError';
}
