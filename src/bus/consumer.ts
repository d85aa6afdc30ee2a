import type { Logger } from '../observability/index.js';
import {
  type BusMessage,
  type Consumer,
  type ConsumerOptions,
  type ConsumerStats,
  PermanentFailure,
  type RetryPolicy,
} from './bus.js';
import type { DeadLetters } from './dead-letters.js';
import type { ConsumeContext } from './middleware.js';
import { DEFAULT_RETRY, retriesLeft, retryDelay } from './retry-policy.js';
import {
  type BusTransport,
  PRIORITIES,
  type Receiver,
  type TransportDelivery,
} from './transport.js';

/** Header of a message sent again by an operator to one group only (a dead letter's retry). */
export const ONLY_GROUP_HEADER = 'x-bus-only-group';

export interface ConsumerDeps {
  transport: BusTransport;
  pipeline: (context: ConsumeContext) => Promise<void>;
  deadLetters: DeadLetters;
  consumerName: string;
  log: Logger;
}

interface Waiting {
  delivery: TransportDelivery;
  arrived: number;
}

/**
 * One subscription: takes deliveries from the transport into a small window (twice the
 * concurrency), starts the most urgent first (priority, raised by waiting: aging), never two
 * of one key at once, and turns each outcome into an ack, a delayed release or a dead letter.
 */
export class BusConsumer implements Consumer {
  private receiver?: Receiver;
  private readonly waiting: Waiting[] = [];
  private readonly busyKeys = new Set<string>();
  private readonly abort = new AbortController();
  private readonly idle: (() => void)[] = [];
  private running = 0;
  private paused = false;
  private draining = false;
  private readonly counts = { handled: 0, failed: 0, deadLettered: 0 };
  readonly group: string;
  private readonly concurrency: number;
  private readonly retry: RetryPolicy;
  private readonly agingMs: number;

  constructor(
    readonly topic: string,
    private readonly options: ConsumerOptions,
    private readonly deps: ConsumerDeps,
  ) {
    this.group = options.group;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.agingMs = options.agingMs ?? 1_000;
  }

  async start(): Promise<void> {
    this.receiver = await this.deps.transport.receive(
      this.topic,
      {
        group: this.group,
        consumer: this.deps.consumerName,
        prefetch: this.concurrency * 2,
        visibilityTimeoutMs: this.options.visibilityTimeoutMs ?? 30_000,
      },
      (delivery) => {
        if (this.draining) {
          void delivery.release(0).catch(() => {});
          return;
        }
        this.waiting.push({ delivery, arrived: Date.now() });
        this.pump();
      },
    );
  }

  pause(): void {
    this.paused = true;
    this.receiver?.pause();
  }

  resume(): void {
    this.paused = false;
    this.receiver?.resume();
    this.pump();
  }

  stats(): ConsumerStats {
    return { inFlight: this.running, ...this.counts };
  }

  isPaused(): boolean {
    return this.paused;
  }

  async drain(): Promise<void> {
    if (!this.draining) {
      this.draining = true;
      this.receiver?.pause();
      // Not started: back to the queue now, not after the visibility timeout.
      for (const { delivery } of this.waiting.splice(0)) await delivery.release(0).catch(() => {});
    }
    if (this.running > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.receiver?.close();
  }

  /** Stops handlers still running after a drain timed out. */
  stop(): void {
    this.abort.abort(new Error('bus consumer stopped'));
  }

  private pump(): void {
    while (!this.paused && !this.draining && this.running < this.concurrency) {
      const next = this.choose();
      if (!next) return;
      void this.run(next.delivery);
    }
  }

  private choose(): Waiting | undefined {
    const now = Date.now();
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const [index, item] of this.waiting.entries()) {
      const key = item.delivery.envelope.key;
      if (key !== undefined && this.busyKeys.has(key)) continue;
      const rank =
        PRIORITIES.indexOf(item.delivery.envelope.priority) -
        Math.floor((now - item.delivery.envelope.publishedAt) / this.agingMs);
      if (rank < bestRank) {
        best = index;
        bestRank = rank;
      }
    }
    return best < 0 ? undefined : this.waiting.splice(best, 1)[0];
  }

  private async run(delivery: TransportDelivery): Promise<void> {
    const { envelope, attempt } = delivery;
    const key = envelope.key;
    this.running += 1;
    if (key !== undefined) this.busyKeys.add(key);
    try {
      const only = envelope.headers[ONLY_GROUP_HEADER];
      if (only !== undefined && only !== this.group) {
        await delivery.ack();
        return;
      }
      // A redelivery, or an operator's retry of a dead letter: its entry records the outcome.
      const retried = attempt > 1 || only !== undefined;
      const message: BusMessage = {
        id: envelope.id,
        topic: envelope.topic,
        payload: envelope.payload,
        key,
        priority: envelope.priority,
        headers: envelope.headers,
        attempt,
        publishedAt: envelope.publishedAt,
      };
      if (retried) {
        await this.deps.deadLetters
          .retryStarted(this.group, envelope.id, attempt)
          .catch((error: unknown) => this.logFailure('record a retry', error));
      }
      try {
        await this.deps.pipeline({ message, group: this.group, signal: this.abort.signal });
      } catch (error) {
        await this.failed(delivery, error);
        return;
      }
      await delivery.ack();
      this.counts.handled += 1;
      if (retried) {
        await this.deps.deadLetters
          .succeeded(this.group, envelope.id, attempt)
          .catch((error: unknown) => this.logFailure('record a success', error));
      }
    } catch (error) {
      // The transport failed to take an ack or a release: the visibility timeout redelivers.
      this.logFailure('settle a delivery', error);
    } finally {
      this.running -= 1;
      if (key !== undefined) this.busyKeys.delete(key);
      if (this.running === 0) for (const resolve of this.idle.splice(0)) resolve();
      this.pump();
    }
  }

  private async failed(delivery: TransportDelivery, error: unknown): Promise<void> {
    const { envelope, attempt } = delivery;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.counts.failed += 1;
    const permanent = error instanceof PermanentFailure || !retriesLeft(this.retry, attempt);
    if (permanent) {
      try {
        await this.deps.deadLetters.deadLettered(this.group, envelope, attempt, reason);
      } catch (recordError) {
        // Not recorded, not dropped: it comes back, and the next failure tries again.
        this.logFailure('record a dead letter', recordError);
        await delivery.release(retryDelay(this.retry, attempt));
        return;
      }
      this.counts.deadLettered += 1;
      this.deps.log.warn('bus message dead-lettered', {
        topic: envelope.topic,
        group: this.group,
        messageId: envelope.id,
        attempt,
        error: reason,
      });
      await delivery.ack();
      return;
    }
    const delayMs = retryDelay(this.retry, attempt);
    await this.deps.deadLetters
      .failed(this.group, envelope, attempt, reason, new Date(Date.now() + delayMs))
      .catch((recordError: unknown) => this.logFailure('record a failure', recordError));
    await delivery.release(delayMs);
  }

  private logFailure(what: string, error: unknown): void {
    this.deps.log.error(`bus consumer could not ${what}`, {
      topic: this.topic,
      group: this.group,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
