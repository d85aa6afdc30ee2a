import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { ReceiveOptions, Receiver, TransportDelivery } from '../transport.js';
import { decodeEnvelope } from './envelope-codec.js';
import { type Acknowledger, parseAckSubject } from './jetstream-wire.js';
import { Puller, type PullerTiming } from './puller.js';

interface Held {
  msg: Msg;
  reply: string;
  arrivedAt: number;
}

export interface NatsReceiverParts {
  nc: NatsConnection;
  acks: Acknowledger;
  stream: string;
  consumer: string;
  options: ReceiveOptions;
  deliver: (delivery: TransportDelivery) => void;
  repair: () => Promise<void>;
  timing?: PullerTiming;
}

/**
 * One member of a group: hands deliveries over, at most `prefetch` unsettled at a time.
 * `attempt` is the server's delivery count. A delivery held past the visibility timeout is
 * written off here as the server writes it off (its ack and release then do nothing, as the
 * server is delivering it again), so a slow handler cannot pin the member's prefetch forever.
 */
export class NatsReceiver implements Receiver {
  onClose?: () => void;
  private inHand = 0;
  private paused = false;
  private closed = false;
  /** Arrived after their requests were given up (pause, an overdue answer): handed over when room opens. */
  private readonly held: Held[] = [];
  private readonly puller: Puller;
  private readonly acks: Acknowledger;
  private readonly options: ReceiveOptions;
  private readonly deliver: (delivery: TransportDelivery) => void;

  constructor(parts: NatsReceiverParts) {
    this.acks = parts.acks;
    this.options = parts.options;
    this.deliver = parts.deliver;
    this.puller = new Puller(
      parts.nc,
      parts.stream,
      parts.consumer,
      {
        room: () => this.options.prefetch - this.inHand - this.held.length,
        take: (msg, reply) => this.hand(msg, reply, Date.now()),
        stray: (msg, reply) => this.stray(msg, reply),
        repair: parts.repair,
      },
      parts.timing,
    );
    this.puller.start();
    this.pump();
  }

  pause(): void {
    if (this.closed || this.paused) return;
    this.paused = true;
    void this.puller.stop();
  }

  resume(): void {
    if (this.closed || !this.paused) return;
    this.paused = false;
    this.puller.start();
    this.pump();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.puller.stop();
    // Taken from the server but never handed over: back at once rather than after the ack wait.
    for (const { reply } of this.held.splice(0)) await this.acks.nak(reply, 0).catch(() => {});
    this.onClose?.();
  }

  private pump(): void {
    if (this.closed || this.paused) return;
    while (this.held.length > 0 && this.inHand + this.puller.outstanding < this.options.prefetch) {
      const { msg, reply, arrivedAt } = this.held.shift() as Held;
      // Held past its ack wait, it is already on its way to another delivery.
      if (Date.now() - arrivedAt < this.options.visibilityTimeoutMs)
        this.hand(msg, reply, arrivedAt);
    }
    this.puller.pump();
  }

  private stray(msg: Msg, reply: string): void {
    if (this.closed) {
      void this.acks.nak(reply, 0).catch(() => {});
      return;
    }
    this.held.push({ msg, reply, arrivedAt: Date.now() });
    this.pump();
  }

  private hand(msg: Msg, reply: string, arrivedAt: number): void {
    const info = parseAckSubject(reply);
    if (!info) return;
    const envelope = decodeEnvelope(msg.data);
    if (!envelope) {
      // Not an envelope (someone else published on the subject): no handler can read it.
      void this.acks.term(reply).catch(() => {});
      return;
    }
    this.inHand += 1;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(expiry);
      this.inHand -= 1;
      return true;
    };
    const expiry = setTimeout(
      () => {
        if (settle()) this.pump();
      },
      Math.max(0, this.options.visibilityTimeoutMs - (Date.now() - arrivedAt)),
    );
    expiry.unref();
    this.deliver({
      envelope,
      attempt: info.deliveryCount,
      ack: async () => {
        if (!settle()) return;
        const sent = this.acks.ack(reply);
        this.pump();
        await sent;
      },
      release: async (delayMs) => {
        if (!settle()) return;
        const sent = this.acks.nak(reply, delayMs);
        this.pump();
        await sent;
      },
    });
  }
}
