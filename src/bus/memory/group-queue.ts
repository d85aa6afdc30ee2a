import { type Envelope, PRIORITIES } from '../transport.js';
import type { MemoryReceiver } from './memory-transport.js';

export interface QueueItem {
  envelope: Envelope;
  attempt: number;
  /** Send order within the group: ties and per-key order. */
  seq: number;
  /** Changes with every hand-over, so a stale ack or an expired delivery does nothing. */
  token: number;
  visibleAt: number;
  timer?: NodeJS.Timeout;
  onExpire?: () => void;
}

/**
 * One consumer group's queue of a topic: four priority lanes served most urgent first, where
 * waiting `agingMs` raises a message one step (LOW never starves); delayed messages aside until
 * due; one message per key out at a time, the key's next waiting behind it.
 */
export class GroupQueue {
  private readonly lanes: QueueItem[][] = PRIORITIES.map(() => []);
  /** Keyed messages that own their key again (a due retry, the next of a key): served first. */
  private readonly front: QueueItem[] = [];
  private readonly delayed: QueueItem[] = [];
  private readonly inFlight = new Map<QueueItem, MemoryReceiver>();
  /** The message currently holding a key (out, or waiting to be retried), and who waits behind it. */
  private readonly keyOwner = new Map<string, QueueItem>();
  private readonly keyWaiters = new Map<string, QueueItem[]>();
  private readonly members: MemoryReceiver[] = [];
  private nextMember = 0;
  private seq = 0;
  private tokens = 0;
  private delayTimer?: NodeJS.Timeout;
  private delayTimerAt = Number.POSITIVE_INFINITY;
  private pumping = false;

  constructor(private readonly agingMs: number) {}

  add(envelope: Envelope): void {
    this.seq += 1;
    const item: QueueItem = {
      envelope,
      attempt: 1,
      seq: this.seq,
      token: 0,
      visibleAt: envelope.deliverAt ?? 0,
    };
    if (item.visibleAt > Date.now()) this.schedule(item);
    else this.enqueue(item);
    this.pump();
  }

  depth(): number {
    let waiting = 0;
    for (const list of this.keyWaiters.values()) waiting += list.length;
    const queued = this.lanes.reduce((sum, lane) => sum + lane.length, 0);
    return queued + this.front.length + this.delayed.length + this.inFlight.size + waiting;
  }

  join(member: MemoryReceiver): void {
    this.members.push(member);
    this.pump();
  }

  leave(member: MemoryReceiver): void {
    const index = this.members.indexOf(member);
    if (index >= 0) this.members.splice(index, 1);
    // What the member held comes back at once: it will never acknowledge it.
    for (const [item, holder] of [...this.inFlight]) {
      if (holder !== member) continue;
      item.onExpire?.();
      this.requeue(item, 0);
    }
    this.pump();
  }

  onExpire(item: QueueItem, token: number, expire: () => void): void {
    if (item.token === token) item.onExpire = expire;
  }

  ack(item: QueueItem, token: number): void {
    if (item.token !== token || !this.inFlight.has(item)) return;
    clearTimeout(item.timer);
    this.inFlight.delete(item);
    this.freeKey(item);
    this.pump();
  }

  release(item: QueueItem, token: number, delayMs: number): void {
    if (item.token !== token || !this.inFlight.has(item)) return;
    this.requeue(item, delayMs);
    this.pump();
  }

  /** Hands ready messages to members with room, round robin. Re-entrant calls are folded in. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const member = this.memberWithRoom();
        if (!member) return;
        const item = this.take();
        if (!item) return;
        this.handOut(item, member);
      }
    } finally {
      this.pumping = false;
    }
  }

  private memberWithRoom(): MemoryReceiver | undefined {
    for (let i = 0; i < this.members.length; i += 1) {
      const member = this.members[(this.nextMember + i) % this.members.length];
      if (member?.canTake()) {
        this.nextMember = (this.nextMember + i + 1) % this.members.length;
        return member;
      }
    }
    return undefined;
  }

  private handOut(item: QueueItem, member: MemoryReceiver): void {
    this.tokens += 1;
    item.token = this.tokens;
    item.onExpire = undefined;
    this.inFlight.set(item, member);
    const key = item.envelope.key;
    if (key !== undefined) this.keyOwner.set(key, item);
    const token = item.token;
    item.timer = setTimeout(() => {
      if (item.token !== token || !this.inFlight.has(item)) return;
      item.onExpire?.();
      this.requeue(item, 0);
      this.pump();
    }, member.options.visibilityTimeoutMs);
    item.timer.unref();
    member.hand(item, token);
  }

  /** Back in line as the next attempt; a keyed message keeps its key meanwhile. */
  private requeue(item: QueueItem, delayMs: number): void {
    clearTimeout(item.timer);
    this.inFlight.delete(item);
    item.attempt += 1;
    item.token = -1;
    item.visibleAt = Date.now() + delayMs;
    if (delayMs > 0) this.schedule(item);
    else this.enqueue(item);
  }

  private enqueue(item: QueueItem): void {
    const key = item.envelope.key;
    if (key !== undefined && this.keyOwner.get(key) === item) this.front.push(item);
    else this.lanes[PRIORITIES.indexOf(item.envelope.priority)]?.push(item);
  }

  private freeKey(item: QueueItem): void {
    const key = item.envelope.key;
    if (key === undefined || this.keyOwner.get(key) !== item) return;
    const next = this.keyWaiters.get(key)?.shift();
    if (next) {
      this.keyOwner.set(key, next);
      this.front.push(next);
    } else {
      this.keyOwner.delete(key);
      this.keyWaiters.delete(key);
    }
  }

  /** The most urgent ready message, after aging; a keyed one whose key is out waits behind it. */
  private take(): QueueItem | undefined {
    this.promoteDue();
    if (this.front.length > 0) return this.front.shift();
    for (;;) {
      const now = Date.now();
      let best: QueueItem[] | undefined;
      let bestRank = Number.POSITIVE_INFINITY;
      let bestSeq = Number.POSITIVE_INFINITY;
      for (const [rank, lane] of this.lanes.entries()) {
        const head = lane[0];
        if (!head) continue;
        const waited = now - Math.max(head.envelope.publishedAt, head.visibleAt);
        const effective = rank - Math.floor(Math.max(0, waited) / this.agingMs);
        if (effective < bestRank || (effective === bestRank && head.seq < bestSeq)) {
          best = lane;
          bestRank = effective;
          bestSeq = head.seq;
        }
      }
      const item = best?.shift();
      if (!item) return undefined;
      const key = item.envelope.key;
      if (key === undefined) return item;
      const owner = this.keyOwner.get(key);
      if (owner === undefined) return item;
      const waiters = this.keyWaiters.get(key) ?? [];
      waiters.push(item);
      this.keyWaiters.set(key, waiters);
    }
  }

  private schedule(item: QueueItem): void {
    let low = 0;
    let high = this.delayed.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.delayed[mid]?.visibleAt ?? 0) <= item.visibleAt) low = mid + 1;
      else high = mid;
    }
    this.delayed.splice(low, 0, item);
    this.armDelayTimer();
  }

  private promoteDue(): void {
    const now = Date.now();
    while (this.delayed.length > 0 && (this.delayed[0]?.visibleAt ?? 0) <= now) {
      const item = this.delayed.shift();
      if (item) this.enqueue(item);
    }
    this.armDelayTimer();
  }

  private armDelayTimer(): void {
    const next = this.delayed[0]?.visibleAt ?? Number.POSITIVE_INFINITY;
    if (next === this.delayTimerAt) return;
    clearTimeout(this.delayTimer);
    this.delayTimerAt = next;
    if (next === Number.POSITIVE_INFINITY) return;
    this.delayTimer = setTimeout(
      () => {
        this.delayTimerAt = Number.POSITIVE_INFINITY;
        this.promoteDue();
        this.pump();
      },
      Math.max(0, next - Date.now()),
    );
    this.delayTimer.unref();
  }
}
