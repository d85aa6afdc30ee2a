import type { Redis } from 'ioredis';
import type { ReceiveOptions, Receiver, TransportDelivery } from '../transport.js';
import { within } from './connection.js';
import { decodeEntry, type StreamEntry } from './entry.js';
import type { RedisKeys } from './keys.js';
import { claimScript, createGroupScript, forgetConsumerScript, settleScript } from './scripts.js';

export interface RedisReceiverContext {
  /** The transport's connection: acknowledgements, releases, unblocking. */
  commands: Redis;
  /** This receiver's own connection: a blocking read ties up a connection. */
  blocking: Redis;
  keys: RedisKeys;
  topic: string;
  options: ReceiveOptions;
  claimIntervalMs: number;
  deliver: (delivery: TransportDelivery) => void;
  /** A release stored a message due at this time. */
  onDelayed: (dueAt: number) => void;
  onError: (error: Error) => void;
  onClosed: () => void;
}

/** An entry read from the stream or claimed, with its delivery count in the pending list. */
interface Taken {
  id: string;
  entry: StreamEntry;
  deliveries: number;
  takenAt: number;
}

const MAX_BACKOFF_MS = 5_000;
/** Longest wait for the server while closing: a close must end even if Redis is away. */
const CLOSE_WAIT_MS = 1_000;

/**
 * One member of a consumer group. A single loop on its own connection alternates between
 * taking over deliveries idle past the visibility timeout (XAUTOCLAIM, every claim interval)
 * and reading new entries (XREADGROUP, blocking at most until the next claim is due), asking
 * each time for no more than the room left under `prefetch`. One loop, so the two never both
 * fill the same room.
 */
export class RedisReceiver implements Receiver {
  private paused = false;
  private closed = false;
  /** Handed over, neither settled nor past their visibility timeout. */
  private inHand = 0;
  /** Read while paused: handed over on resume, if still within their visibility timeout. */
  private buffered: Taken[] = [];
  private reading = false;
  private clientId: number | undefined;
  private wakeUp: (() => void) | undefined;
  private nextClaimAt: number;
  private backoffMs = 0;
  private readonly loopDone: Promise<void>;
  private readonly stream: string;
  /** Resolves when closing: the loop stops waiting for its connection then. */
  private readonly closing: Promise<undefined>;
  private signalClosing!: () => void;

  constructor(private readonly context: RedisReceiverContext) {
    this.stream = context.keys.stream(context.topic);
    this.closing = new Promise((resolve) => {
      this.signalClosing = () => resolve(undefined);
    });
    // Claim first: a member starting after a crash finds what was left idle at once.
    this.nextClaimAt = Date.now();
    // A new connection has a new client id: the old one would unblock nothing.
    context.blocking.on('ready', () => {
      this.clientId = undefined;
    });
    this.loopDone = this.loop();
  }

  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    void this.unblock();
  }

  resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    const now = Date.now();
    for (const taken of this.buffered.splice(0)) {
      // One held too long while paused is left for a claim (ours or another member's).
      if (taken.takenAt + this.context.options.visibilityTimeoutMs > now) this.hand(taken);
    }
    this.wake();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.signalClosing();
    this.wake();
    // A blocked read dropped with its connection takes nothing: the server serves a read only
    // when it returns. One served just before is left pending here, like anything read or
    // claimed after this point, until its visibility timeout lets a member claim it.
    this.context.blocking.disconnect();
    await this.loopDone;
    // What was buffered or is still in hand stays in this consumer's pending list until it is
    // settled or claimed; a consumer holding nothing is removed from the group.
    this.buffered = [];
    const { group, consumer } = this.context.options;
    await within(
      CLOSE_WAIT_MS,
      'forget consumer',
      forgetConsumerScript.run(this.context.commands, [this.stream], [group, consumer]),
    ).catch(() => {});
    this.context.onClosed();
  }

  private room(): number {
    return this.context.options.prefetch - this.inHand - this.buffered.length;
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      try {
        await this.step();
        this.backoffMs = 0;
      } catch (error) {
        if (this.closed) break;
        await this.recover(error);
      }
    }
  }

  private async step(): Promise<void> {
    const room = this.room();
    if (this.paused || room <= 0) return this.sleep();
    const { group, consumer, visibilityTimeoutMs } = this.context.options;
    const blocking = this.context.blocking;
    if (Date.now() >= this.nextClaimAt) {
      this.nextClaimAt = Date.now() + this.context.claimIntervalMs;
      const claimed = (await this.untilClosed(
        claimScript.run(blocking, [this.stream], [group, consumer, visibilityTimeoutMs, room]),
      )) as [string, number, string[]][] | undefined;
      const now = Date.now();
      for (const [id, deliveries, fields] of claimed ?? []) this.take(id, fields, deliveries, now);
      return;
    }
    if (this.clientId === undefined) {
      const id = await this.untilClosed(blocking.client('ID'));
      if (id === undefined) return;
      this.clientId = Number(id);
    }
    if (this.closed || this.paused) return;
    this.reading = true;
    let reply: unknown;
    try {
      reply = await this.untilClosed(
        blocking.call(
          'XREADGROUP',
          'GROUP',
          group,
          consumer,
          'COUNT',
          room,
          'BLOCK',
          Math.max(1, this.nextClaimAt - Date.now()),
          'STREAMS',
          this.stream,
          '>',
        ),
      );
    } finally {
      this.reading = false;
    }
    const now = Date.now();
    for (const [, entries] of (reply ?? []) as [string, [string, string[] | null][]][]) {
      for (const [id, fields] of entries) if (fields) this.take(id, fields, 1, now);
    }
  }

  /** After a failure: a group deleted under us is created again; anything else waits, longer each time. */
  private async recover(error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('NOGROUP')) {
      const group = this.context.options.group;
      await this.untilClosed(
        createGroupScript.run(this.context.commands, [this.stream], [group]),
      ).catch(() => {});
    } else {
      this.context.onError(error instanceof Error ? error : new Error(message));
    }
    this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(100, this.backoffMs * 2));
    await this.sleep(this.backoffMs);
  }

  private take(id: string, fields: string[], deliveries: number, takenAt: number): void {
    const entry = decodeEntry(fields);
    // Not for this group (another group's release), or not an entry this adapter wrote: off
    // this group's list, never handed over.
    if (!entry || (entry.group !== undefined && entry.group !== this.context.options.group)) {
      void this.settle(id, deliveries, ['ack', 0, 0, 0, '']).catch(() => {});
      return;
    }
    // Read after close: stays pending here until its visibility timeout lets a member claim it.
    if (this.closed) return;
    const taken = { id, entry, deliveries, takenAt };
    if (this.paused) this.buffered.push(taken);
    else this.hand(taken);
  }

  private hand(taken: Taken): void {
    const { id, entry, deliveries } = taken;
    const attempt = entry.priorAttempts + deliveries;
    this.inHand += 1;
    let counted = true;
    let done = false;
    // Past its visibility timeout the delivery no longer holds room: it is claimed again (by
    // this member or another). Settling it later still works if nobody has claimed it yet;
    // once claimed, the scripts' holder check makes it do nothing.
    const free = (): void => {
      if (!counted) return;
      counted = false;
      clearTimeout(expiry);
      this.inHand -= 1;
      this.wake();
    };
    const expiry = setTimeout(
      free,
      Math.max(0, taken.takenAt + this.context.options.visibilityTimeoutMs - Date.now()),
    );
    expiry.unref();
    const settleOnce = (): boolean => {
      if (done) return false;
      done = true;
      free();
      return true;
    };
    this.context.deliver({
      envelope: entry.envelope,
      attempt,
      ack: async () => {
        if (settleOnce()) await this.settle(id, deliveries, ['ack', 0, 0, 0, '']);
      },
      release: async (delayMs) => {
        if (!settleOnce()) return;
        const now = Date.now();
        const dueAt = now + Math.max(0, delayMs);
        await this.settle(id, deliveries, ['release', dueAt, now, attempt, entry.json]);
        if (dueAt > now) this.context.onDelayed(dueAt);
      },
    });
  }

  private async settle(
    id: string,
    deliveries: number,
    rest: [string, number, number, number, string],
  ): Promise<void> {
    const { keys, topic, options } = this.context;
    await settleScript.run(
      this.context.commands,
      [this.stream, keys.groupDelayed(topic, options.group)],
      [options.group, id, options.consumer, deliveries, ...rest],
    );
  }

  /** Ends a blocked read early (it returns as if it had timed out), so a pause is prompt. */
  private async unblock(): Promise<void> {
    if (!this.reading || this.clientId === undefined) return;
    const unblocking = this.context.commands.client('UNBLOCK', this.clientId);
    await within(CLOSE_WAIT_MS, 'unblock', unblocking).catch(() => {});
  }

  /** `work`'s result, or undefined as soon as the receiver closes. */
  private untilClosed<T>(work: Promise<T>): Promise<T | undefined> {
    return Promise.race([work, this.closing]);
  }

  /** Until `wake` (room freed, resume, close) or `ms`. */
  private sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.wake(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }
}
