import {
  BusFullError,
  type BusTransport,
  type Envelope,
  type ReceiveOptions,
  type Receiver,
  type SendResult,
  type TransportDelivery,
} from '../transport.js';
import { GroupQueue, type QueueItem } from './group-queue.js';

export interface MemoryBrokerOptions {
  /** Older messages win over more urgent ones after waiting this long per priority step. */
  agingMs?: number;
  /** Most messages one group holds; `send` beyond it fails with `BusFullError`. */
  maxDepth?: number;
  /** How many idempotency keys per topic are remembered (oldest forgotten first). */
  idempotencyWindow?: number;
}

/**
 * The queues themselves, outliving any one transport: what a broker is to its clients. A
 * test reopens a transport on the same broker to see what a restart of the gateway keeps;
 * in the gateway one broker lives as long as the process.
 */
export class MemoryBroker {
  private readonly topics = new Map<string, TopicState>();
  readonly agingMs: number;
  readonly maxDepth: number;
  private readonly idempotencyWindow: number;

  constructor(options: MemoryBrokerOptions = {}) {
    this.agingMs = options.agingMs ?? 1_000;
    this.maxDepth = options.maxDepth ?? 100_000;
    this.idempotencyWindow = options.idempotencyWindow ?? 100_000;
  }

  topic(name: string): TopicState {
    let state = this.topics.get(name);
    if (!state) {
      state = { groups: new Map(), backlog: [], keys: new Set() };
      this.topics.set(name, state);
    }
    return state;
  }

  group(topicName: string, groupName: string): GroupQueue {
    const topic = this.topic(topicName);
    let group = topic.groups.get(groupName);
    if (!group) {
      group = new GroupQueue(this.agingMs);
      // The first group of a topic inherits what was sent before any group existed.
      if (topic.groups.size === 0) for (const envelope of topic.backlog) group.add(envelope);
      topic.backlog = [];
      topic.groups.set(groupName, group);
    }
    return group;
  }

  send(envelope: Envelope): SendResult {
    const topic = this.topic(envelope.topic);
    if (envelope.idempotencyKey !== undefined) {
      if (topic.keys.has(envelope.idempotencyKey)) return { id: envelope.id, duplicate: true };
      topic.keys.add(envelope.idempotencyKey);
      if (topic.keys.size > this.idempotencyWindow) {
        const oldest = topic.keys.values().next().value;
        if (oldest !== undefined) topic.keys.delete(oldest);
      }
    }
    if (topic.groups.size === 0) topic.backlog.push(envelope);
    for (const group of topic.groups.values()) group.add(envelope);
    return { id: envelope.id, duplicate: false };
  }

  /** Whether sending one more message to `topicName` would exceed a group's bound. */
  full(topicName: string): boolean {
    const topic = this.topic(topicName);
    if (topic.backlog.length >= this.maxDepth) return true;
    for (const group of topic.groups.values()) if (group.depth() >= this.maxDepth) return true;
    return false;
  }
}

interface TopicState {
  groups: Map<string, GroupQueue>;
  /** Sent before the topic had a group. */
  backlog: Envelope[];
  keys: Set<string>;
}

/**
 * The in-process adapter: the default without a database, and the bus of most tests.
 * Envelopes are cloned on the way in, so a delivery never shares objects with its sender.
 */
export function createMemoryTransport(broker = new MemoryBroker()): BusTransport {
  const receivers = new Set<MemoryReceiver>();
  let closed = false;
  return {
    kind: 'memory',
    async send(envelopes) {
      if (closed) throw new Error('bus transport is closed');
      const results: SendResult[] = [];
      for (const envelope of envelopes) {
        if (broker.full(envelope.topic)) {
          throw new BusFullError(
            `topic ${envelope.topic} holds ${broker.maxDepth} messages, its bound: try again later`,
          );
        }
        results.push(broker.send(structuredClone(envelope)));
      }
      return results;
    },
    async receive(topic, options, deliver) {
      if (closed) throw new Error('bus transport is closed');
      const receiver = new MemoryReceiver(broker.group(topic, options.group), options, deliver);
      receivers.add(receiver);
      receiver.onClose = () => receivers.delete(receiver);
      return receiver;
    },
    async depth(topic, group) {
      return broker.group(topic, group).depth();
    },
    async health() {
      return closed
        ? { ok: false, detail: 'closed' }
        : { ok: true, detail: 'in-process queues (lost when the process ends)' };
    },
    async close() {
      closed = true;
      for (const receiver of [...receivers]) await receiver.close();
    },
  };
}

class MemoryReceiver implements Receiver {
  onClose?: () => void;
  paused = false;
  inHand = 0;
  private closed = false;

  constructor(
    private readonly queue: GroupQueue,
    readonly options: ReceiveOptions,
    private readonly deliverTo: (delivery: TransportDelivery) => void,
  ) {
    queue.join(this);
  }

  /** Called by the queue: whether this member takes one more now. */
  canTake(): boolean {
    return !this.closed && !this.paused && this.inHand < this.options.prefetch;
  }

  hand(item: QueueItem, token: number): void {
    this.inHand += 1;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      this.inHand -= 1;
      return true;
    };
    const delivery: TransportDelivery = {
      envelope: structuredClone(item.envelope),
      attempt: item.attempt,
      ack: async () => {
        if (settle()) this.queue.ack(item, token);
      },
      release: async (delayMs) => {
        if (settle()) this.queue.release(item, token, Math.max(0, delayMs));
      },
    };
    this.queue.onExpire(item, token, () => settle());
    this.deliverTo(delivery);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.queue.pump();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.leave(this);
    this.onClose?.();
  }
}

export type { MemoryReceiver };
