import type { Channel, ConsumeMessage } from 'amqplib';
import type { Envelope, ReceiveOptions, Receiver, TransportDelivery } from '../transport.js';
import { decodeEnvelope, deliveriesBefore, dueAtOf } from './wire.js';

/** A delayed copy arriving this much before its due time (clock drift) is sent round again. */
const EARLY_SLACK_MS = 1_000;

export interface ReceiverHost {
  /**
   * Publishes a copy of `message` that comes back to `queue` no sooner than `dueAt`, with
   * `deliveries` counted; resolves once the broker confirmed it.
   */
  delay(
    queue: string,
    message: ConsumeMessage,
    envelope: Envelope,
    dueAt: number,
    deliveries: number,
  ): Promise<void>;
}

interface Held {
  message: ConsumeMessage;
  timer?: NodeJS.Timeout;
  settled: boolean;
}

/**
 * One member of a group: a channel of its own with one consumer on the group's queue.
 *
 * - Prefetch: `basic.qos` bounds what the broker pushes per consumer; the receiver also
 *   bounds what it hands over, since a consumer started again after `resume` is counted
 *   afresh by the broker while deliveries of the one before may still be in hand.
 * - Pause cancels the consumer, so the group's other members get the messages meanwhile;
 *   what the broker pushed before the cancel took effect waits here until `resume`.
 * - Visibility: a delivery held past its timeout is nacked back into the queue (the quorum
 *   queue counts the return) and its later ack or release does nothing.
 * - Release with a delay publishes a copy into the delay chain, then acks the original.
 */
export class AmqpReceiver implements Receiver {
  onClose?: () => void;
  private readonly waiting: ConsumeMessage[] = [];
  private readonly held = new Set<Held>();
  /** Releases and re-delays publishing their copy: close waits for them to ack. */
  private readonly settling = new Set<Promise<void>>();
  /** Originals kept when their copy could not be published, handed back after the delay. */
  private readonly fallbackTimers = new Set<NodeJS.Timeout>();
  private tag?: string;
  private generation = 0;
  private consumerOps: Promise<void> = Promise.resolve();
  private paused = false;
  private closed = false;
  private channelGone = false;
  private pumping = false;
  private closing?: Promise<void>;
  /** Why this receiver gets nothing any more though nobody closed it. */
  private broken?: string;

  private constructor(
    private readonly channel: Channel,
    readonly queue: string,
    private readonly options: ReceiveOptions,
    private readonly deliverTo: (delivery: TransportDelivery) => void,
    private readonly host: ReceiverHost,
  ) {
    channel.on('error', () => {});
    channel.once('close', () => {
      // The broker returns what the channel held; nothing in hand can be settled any more.
      if (!this.closed) this.broken ??= 'its channel closed';
      this.channelGone = true;
      this.tag = undefined;
      this.waiting.length = 0;
      for (const held of [...this.held]) this.settle(held);
    });
  }

  static async open(
    channel: Channel,
    queue: string,
    options: ReceiveOptions,
    deliver: (delivery: TransportDelivery) => void,
    host: ReceiverHost,
  ): Promise<AmqpReceiver> {
    const receiver = new AmqpReceiver(channel, queue, options, deliver, host);
    await channel.prefetch(options.prefetch);
    await receiver.reconcile();
    return receiver;
  }

  /** Set when the receiver stopped receiving without being closed: `health` reports it. */
  get trouble(): string | undefined {
    return this.broken && `${this.options.consumer} on ${this.queue}: ${this.broken}`;
  }

  /** Messages the broker counts as unacknowledged through this receiver. */
  get unacknowledged(): number {
    return this.held.size + this.waiting.length;
  }

  /** Resolves once the broker applied the last pause or resume (consumer cancelled, started). */
  applied(): Promise<void> {
    return this.consumerOps;
  }

  pause(): void {
    this.paused = true;
    this.reconcileQuietly();
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    await this.reconcile().catch(() => {});
    // Closing the channel gives back what is in hand; a late ack or release does nothing.
    for (const held of [...this.held]) this.settle(held);
    for (const timer of this.fallbackTimers) clearTimeout(timer);
    await Promise.allSettled([...this.settling]);
    this.waiting.length = 0;
    await this.channel.close().catch(() => {});
    this.onClose?.();
  }

  /** Brings the consumer in line with the state: one at a time, in order. */
  private reconcile(): Promise<void> {
    const op = this.consumerOps.then(() => this.applyConsumerState());
    this.consumerOps = op.catch(() => {});
    return op;
  }

  private reconcileQuietly(): void {
    this.reconcile().catch(() => {});
  }

  private async applyConsumerState(): Promise<void> {
    if (this.channelGone) return;
    const wanted = !this.paused && !this.closed;
    // A new consumer only once all the last one was pushed is handed over: what waits here
    // for room then never exceeds one prefetch.
    if (wanted && this.tag === undefined && this.waiting.length === 0) {
      this.generation += 1;
      const tag = `${this.options.consumer}#${this.generation}`;
      await this.channel.consume(this.queue, (message) => this.onMessage(message), {
        consumerTag: tag,
      });
      this.tag = tag;
    } else if (!wanted && this.tag !== undefined) {
      const tag = this.tag;
      this.tag = undefined;
      await this.channel.cancel(tag);
    }
  }

  private onMessage(message: ConsumeMessage | null): void {
    if (message === null) {
      this.tag = undefined;
      if (!this.closed) this.broken = 'consumer cancelled by the broker (queue deleted?)';
      return;
    }
    if (this.closed || this.channelGone) return;
    this.waiting.push(message);
    this.pump();
  }

  /** Hands over what waits while there is room; re-entrant calls (an ack inside deliver) fold in. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.paused && !this.closed && this.held.size < this.options.prefetch) {
        const message = this.waiting.shift();
        if (!message) break;
        this.handOver(message);
      }
    } finally {
      this.pumping = false;
    }
    if (!this.paused && !this.closed && this.tag === undefined && this.waiting.length === 0) {
      this.reconcileQuietly();
    }
  }

  private handOver(message: ConsumeMessage): void {
    const envelope = decodeEnvelope(message);
    if (!envelope) {
      // Not an envelope: rejected without requeue, so the queue dead-letters it to parked.
      this.quietly(() => this.channel.nack(message, false, false));
      return;
    }
    const dueAt = dueAtOf(message);
    if (dueAt !== undefined && dueAt - Date.now() > EARLY_SLACK_MS) {
      this.track(this.sendRound(message, envelope, dueAt, deliveriesBefore(message)));
      return;
    }
    const held: Held = { message, settled: false };
    this.held.add(held);
    held.timer = setTimeout(() => {
      if (this.settle(held)) this.quietly(() => this.channel.nack(message, false, true));
    }, this.options.visibilityTimeoutMs);
    held.timer.unref();
    const attempt = deliveriesBefore(message) + 1;
    this.deliverTo({
      envelope,
      attempt,
      ack: async () => {
        if (this.settle(held)) this.quietly(() => this.channel.ack(message));
      },
      release: async (delayMs) => {
        if (!this.settle(held)) return;
        if (!(delayMs > 0)) {
          this.quietly(() => this.channel.nack(message, false, true));
          return;
        }
        await this.track(this.sendRound(message, envelope, Date.now() + delayMs, attempt));
      },
    });
  }

  /** A copy into the delay chain, confirmed, then the original acked. */
  private async sendRound(
    message: ConsumeMessage,
    envelope: Envelope,
    dueAt: number,
    deliveries: number,
  ): Promise<void> {
    try {
      await this.host.delay(this.queue, message, envelope, dueAt, deliveries);
    } catch {
      // No copy stored: keep the original unacknowledged and give it back when due. If this
      // process ends (or the receiver closes) first, the broker takes it back with the channel.
      if (this.closed) return;
      const timer = setTimeout(
        () => {
          this.fallbackTimers.delete(timer);
          this.quietly(() => this.channel.nack(message, false, true));
        },
        Math.max(0, dueAt - Date.now()),
      );
      this.fallbackTimers.add(timer);
      return;
    }
    this.quietly(() => this.channel.ack(message));
  }

  private track(work: Promise<void>): Promise<void> {
    this.settling.add(work);
    const forget = () => this.settling.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Marks a delivery done once; frees its room and hands over what waits. */
  private settle(held: Held): boolean {
    if (held.settled) return false;
    held.settled = true;
    clearTimeout(held.timer);
    this.held.delete(held);
    this.pump();
    return true;
  }

  /** Acks and nacks on a closed channel throw; the broker has taken those messages back. */
  private quietly(operation: () => void): void {
    try {
      operation();
    } catch {}
  }
}
