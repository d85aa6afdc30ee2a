import {
  createInbox,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { pullRequest, pullSubject, statusCode } from './jetstream-wire.js';

export interface PullerHooks {
  /** How many deliveries its owner may take now, counting none of those already requested. */
  room(): number;
  /** A delivery answering a live request; `reply` is its ack subject. */
  take(msg: Msg, reply: string): void;
  /** A delivery whose request was given up (stopped, or its answer overdue): the owner decides. */
  stray(msg: Msg, reply: string): void;
  /** A request failed or went unanswered: make sure the stream and consumer exist again. */
  repair(): Promise<void>;
}

export interface PullerTiming {
  /** How long one pull request waits at the server for messages. */
  expiresMs: number;
  /** A request not finished this long after it expired is given up. */
  graceMs: number;
  /** Pause before pulling again after a failed request. */
  retryMs: number;
}

export const DEFAULT_PULL_TIMING: PullerTiming = {
  expiresMs: 30_000,
  graceMs: 5_000,
  retryMs: 1_000,
};

/** Enough requests in flight to refill as room opens, few enough for the server's `max_waiting`. */
const MAX_REQUESTS = 8;

interface Request {
  batch: number;
  received: number;
  sub: Subscription;
  timer: NodeJS.Timeout;
}

/**
 * Pulls from one durable consumer exactly as much as its owner has room for, so the server
 * never hands out more than that (the client's own `consume()` buffers ahead, and what waits
 * in a buffer has its ack wait running). Each request has an inbox of its own: deliveries carry
 * the stream's subject, so the subscription is what tells which request they answer. A request
 * that is over (filled, expired, given up) has its inbox drained: the server stops answering a
 * request nobody listens to, and what it sent before it learnt so still arrives, as a stray,
 * rather than vanishing until its ack wait.
 */
export class Puller {
  private running = false;
  private readonly requests = new Map<string, Request>();
  /** Deliveries requested and not yet arrived, over the live requests. */
  private requested = 0;
  private retryTimer?: NodeJS.Timeout;
  private readonly draining = new Set<Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly stream: string,
    private readonly consumer: string,
    private readonly hooks: PullerHooks,
    private readonly timing: PullerTiming = DEFAULT_PULL_TIMING,
  ) {}

  get outstanding(): number {
    return this.requested;
  }

  /** Allows requests again; call `pump` to make them. */
  start(): void {
    this.running = true;
  }

  /** Gives up every request; resolves once nothing more they asked for can arrive. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const reply of [...this.requests.keys()]) this.finish(reply);
    await Promise.all([...this.draining]);
  }

  /** Requests what the owner has room for, beyond what is already requested. */
  pump(): void {
    if (!this.running || this.retryTimer || this.requests.size >= MAX_REQUESTS) return;
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    const batch = this.hooks.room() - this.requested;
    if (batch <= 0) return;
    const reply = createInbox();
    const sub = this.nc.subscribe(reply, {
      callback: (error, msg) => {
        if (!error) this.arrived(reply, msg);
      },
    });
    const timer = setTimeout(
      () => this.overdue(reply),
      this.timing.expiresMs + this.timing.graceMs,
    );
    timer.unref();
    this.requests.set(reply, { batch, received: 0, sub, timer });
    this.requested += batch;
    try {
      this.nc.publish(
        pullSubject(this.stream, this.consumer),
        pullRequest(batch, this.timing.expiresMs),
        { reply },
      );
    } catch {
      this.finish(reply);
      this.retryLater(false);
    }
  }

  private arrived(reply: string, msg: Msg): void {
    const request = this.requests.get(reply);
    const code = statusCode(msg);
    if (code !== undefined) {
      // 100 is a heartbeat: the request goes on.
      if (!request || code === 100) return;
      this.finish(reply);
      // 408: the request expired empty-handed, 404: nothing to fetch; anything else (409 the
      // consumer is gone or busy, 503 no JetStream) is worth a pause and a repair.
      if (code === 408 || code === 404) this.pump();
      else this.retryLater(true);
      return;
    }
    const ackSubject = msg.reply;
    // Not from JetStream: nothing to acknowledge, nothing to count.
    if (!ackSubject) return;
    if (!request) {
      this.hooks.stray(msg, ackSubject);
      return;
    }
    request.received += 1;
    this.requested -= 1;
    if (request.received >= request.batch) this.finish(reply);
    this.hooks.take(msg, ackSubject);
  }

  private finish(reply: string): void {
    const request = this.requests.get(reply);
    if (!request) return;
    clearTimeout(request.timer);
    this.requests.delete(reply);
    this.requested -= request.batch - request.received;
    if (request.sub.isClosed() || this.nc.isClosed()) return;
    const drained = request.sub.drain().catch(() => {});
    this.draining.add(drained);
    void drained.then(() => this.draining.delete(drained));
  }

  /** No answer, not even the expiry status: the server lost it (a restart) or the consumer is gone. */
  private overdue(reply: string): void {
    if (!this.requests.has(reply)) return;
    this.finish(reply);
    this.retryLater(true);
  }

  private retryLater(repair: boolean): void {
    if (this.retryTimer || !this.running) return;
    this.retryTimer = setTimeout(async () => {
      if (repair) await this.hooks.repair().catch(() => {});
      this.retryTimer = undefined;
      this.pump();
    }, this.timing.retryMs);
    this.retryTimer.unref();
  }
}
