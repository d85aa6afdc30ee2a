import type { SqlClient } from '../../store/index.js';
import type { ReceiveOptions, Receiver, TransportDelivery } from '../transport.js';
import * as q from './queries.js';

export interface ReceiverContext {
  client: SqlClient;
  schema: string;
  agingMs: number;
  /** The safety poll: how often a receiver looks even when nothing woke it. */
  pollMs: number;
  acknowledge(delivery: q.Settled): Promise<void>;
  onError(error: unknown): void;
}

interface Held {
  settled: q.Settled;
  expiry: NodeJS.Timeout;
}

/** After a failed read, the next try comes this much later (or at the poll, if sooner). */
const RETRY_MS = 1_000;
/** A message was visible but locked by another receiver's read: look again this soon. */
const CONTENDED_MS = 10;

/**
 * One member of a group. It reads when woken (a NOTIFY of its topic, an acknowledgement or
 * release of its own, the timer of the group's next due message, the safety poll) and hands
 * over what it got; nothing sleeps in a loop. At most `prefetch` deliveries are out at once;
 * one held past the visibility timeout no longer counts, as the database hands it out again.
 */
export class PostgresReceiver implements Receiver {
  onClose?: () => void;
  private readonly held = new Set<Held>();
  private paused = false;
  private closed = false;
  private running?: Promise<void>;
  private again = false;
  private readonly poll: NodeJS.Timeout;
  private dueTimer?: NodeJS.Timeout;

  constructor(
    private readonly context: ReceiverContext,
    readonly topic: string,
    private readonly group: number,
    private readonly options: ReceiveOptions,
    private readonly deliverTo: (delivery: TransportDelivery) => void,
  ) {
    this.poll = setInterval(() => this.wake(), context.pollMs);
    this.poll.unref();
    this.wake();
  }

  /** Reads again now, or right after the read under way. */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pump().finally(() => {
      this.running = undefined;
    });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.dueTimer);
    await this.running;
    // What is still in hand goes back at once: this member will never acknowledge it.
    const left = [...this.held];
    this.held.clear();
    for (const held of left) {
      clearTimeout(held.expiry);
      await this.context.client
        .query(q.release(this.context.schema, held.settled, 0, false))
        .catch((error: unknown) => this.context.onError(error));
    }
    this.onClose?.();
  }

  private async pump(): Promise<void> {
    do {
      this.again = false;
      await this.readWhileRoom();
    } while (this.again && !this.closed);
  }

  private async readWhileRoom(): Promise<void> {
    const { client, schema } = this.context;
    for (;;) {
      const room = this.options.prefetch - this.held.size;
      if (this.closed || this.paused || room <= 0) return;
      let rows: q.DeliveryRow[];
      try {
        rows = await client.query<q.DeliveryRow>(
          q.receive(
            schema,
            this.group,
            room,
            this.options.visibilityTimeoutMs,
            this.context.agingMs,
          ),
        );
      } catch (error) {
        this.context.onError(error);
        this.armTimer(RETRY_MS);
        return;
      }
      if (this.closed || this.paused) {
        await this.giveBack(rows);
        return;
      }
      for (const row of rows) this.hand(row);
      if (rows.length < room) {
        await this.armForNextDue();
        return;
      }
    }
  }

  /** Read while this member closed or paused: back as if never read. */
  private async giveBack(rows: readonly q.DeliveryRow[]): Promise<void> {
    for (const row of rows) {
      const settled = { group: this.group, seq: row.seq, attempt: row.attempt };
      await this.context.client
        .query(q.release(this.context.schema, settled, 0, true))
        .catch((error: unknown) => this.context.onError(error));
    }
  }

  private hand(row: q.DeliveryRow): void {
    const settled: q.Settled = { group: this.group, seq: row.seq, attempt: row.attempt };
    const held: Held = {
      settled,
      expiry: setTimeout(() => {
        if (this.held.delete(held)) this.wake();
      }, this.options.visibilityTimeoutMs),
    };
    held.expiry.unref();
    this.held.add(held);
    let done = false;
    const settle = (): boolean => {
      if (done) return false;
      done = true;
      clearTimeout(held.expiry);
      this.held.delete(held);
      return true;
    };
    this.deliverTo({
      envelope: q.toEnvelope(row),
      attempt: row.attempt,
      // Past its visibility timeout a delivery is still acknowledged if nobody took it since:
      // the attempt number tells.
      ack: async () => {
        if (!settle()) return;
        try {
          await this.context.acknowledge(settled);
        } finally {
          this.wake();
        }
      },
      release: async (delayMs) => {
        if (!settle()) return;
        try {
          await this.context.client.query(
            q.release(this.context.schema, settled, Math.max(0, delayMs), false),
          );
        } finally {
          this.wake();
        }
      },
    });
  }

  private async armForNextDue(): Promise<void> {
    try {
      const [row] = await this.context.client.query<{ due_in_ms: number | null }>(
        q.nextDue(this.context.schema, this.group),
      );
      const due = row?.due_in_ms;
      if (due === null || due === undefined) return;
      this.armTimer(Number(due) > 0 ? Number(due) + 1 : CONTENDED_MS);
    } catch (error) {
      this.context.onError(error);
      this.armTimer(RETRY_MS);
    }
  }

  /** The poll looks anyway, so a timer beyond it is not needed. */
  private armTimer(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.dueTimer);
    if (ms >= this.context.pollMs) return;
    this.dueTimer = setTimeout(() => this.wake(), Math.max(0, ms));
    this.dueTimer.unref();
  }
}
