import type { Channel } from 'amqplib';
import type { ChannelSlot } from './channel-slot.js';
import { delayBitHeader } from './delay-route.js';
import { type AmqpNames, queueTarget, topicTarget } from './names.js';

/** What lands in the parked queue stays this long, and no more than this many messages. */
const PARKED_TTL_MS = 7 * 24 * 60 * 60 * 1_000;
const PARKED_MAX_LENGTH = 100_000;

/**
 * Declares what a transport needs, each thing once per transport (declarations are idempotent
 * on the broker, so other instances declaring the same is harmless), and remembers the names.
 *
 * - `<prefix>/parked`: fanout exchange and quorum queue, the alternate exchange of every
 *   topic and of the due exchange, and the dead-letter exchange of every group queue. What
 *   no group queue takes (sent before the topic had a group, due for a deleted group) or no
 *   receiver can read lands there instead of vanishing; `health` reports its count.
 * - `<prefix>/due`: direct exchange; a delayed message arrives here when due, routed by its
 *   target: `t:<topic>` (bound to the topic exchange) or `q:<group queue>`.
 * - `<prefix>.<topic>`: fanout exchange; every group queue of the topic is bound to it.
 * - `<prefix>.<topic>/<group>`: the group's quorum queue.
 * - `<prefix>/delay/<k>`: headers exchange and quorum queue of delay level k (see delay-route).
 */
export class AmqpTopology {
  readonly exchanges = new Set<string>();
  readonly queues = new Set<string>();
  private readonly done = new Map<string, Promise<void>>();

  /** A fresh channel, closed by whoever asked for it. */
  private readonly spare: { get(): Promise<Channel> };

  constructor(
    private readonly names: AmqpNames,
    private readonly admin: ChannelSlot<Channel>,
    openChannel: () => Promise<Channel>,
  ) {
    this.spare = {
      get: async () => {
        const channel = await openChannel();
        channel.on('error', () => {});
        return channel;
      },
    };
  }

  base(): Promise<void> {
    return this.once('base', async (channel) => {
      const { parked, due } = this.names;
      await this.exchange(channel, parked, 'fanout');
      await this.queue(channel, parked, {
        'x-queue-type': 'quorum',
        'x-message-ttl': PARKED_TTL_MS,
        'x-max-length': PARKED_MAX_LENGTH,
      });
      await channel.bindQueue(parked, parked, '');
      await this.exchange(channel, due, 'direct', { alternateExchange: parked });
    });
  }

  /** The topic's exchange, declared and reachable from the due exchange. */
  async topic(topic: string): Promise<string> {
    const exchange = this.names.topicExchange(topic);
    await this.base();
    await this.once(`topic ${exchange}`, async (channel) => {
      await this.exchange(channel, exchange, 'fanout', { alternateExchange: this.names.parked });
      await channel.bindExchange(exchange, this.names.due, topicTarget(topic));
    });
    return exchange;
  }

  /** The group's queue, declared and bound: from now on it keeps every message of the topic. */
  async group(topic: string, group: string): Promise<string> {
    const queue = this.names.groupQueue(topic, group);
    const exchange = await this.topic(topic);
    await this.once(`group ${queue}`, async (channel) => {
      await this.queue(channel, queue, {
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': this.names.parked,
      });
      await channel.bindQueue(queue, exchange, '');
      await channel.bindQueue(queue, this.names.due, queueTarget(queue));
    });
    return queue;
  }

  /**
   * Delay levels 0 to `top`: each passes on to the one below, so all must exist. A quorum
   * queue takes tens of milliseconds to declare and a channel answers one declaration at a
   * time, so each level is declared on a channel of its own, all at once, then linked.
   */
  async levels(top: number): Promise<void> {
    await this.base();
    const linked: Promise<void>[] = [];
    for (let level = 0; level <= top; level += 1) {
      const below = level === 0 ? this.base() : this.levelExists(level - 1);
      const exists = this.levelExists(level);
      linked.push(
        this.once(
          `level ${level} linked`,
          async (channel) => {
            await Promise.all([below, exists]);
            await channel.bindExchange(this.below(level), this.names.delayLevel(level), '', {
              'x-match': 'all',
              [delayBitHeader(level)]: '0',
            });
          },
          this.admin,
        ),
      );
    }
    await Promise.all(linked);
  }

  /** Declares everything again on next use (what is on the broker may have been deleted). */
  forget(): void {
    this.done.clear();
  }

  private below(level: number): string {
    return level === 0 ? this.names.due : this.names.delayLevel(level - 1);
  }

  private levelExists(level: number): Promise<void> {
    const name = this.names.delayLevel(level);
    return this.once(
      `level ${level}`,
      async (channel) => {
        try {
          await this.exchange(channel, name, 'headers');
          await this.queue(channel, name, {
            'x-queue-type': 'quorum',
            'x-message-ttl': 2 ** level,
            'x-dead-letter-exchange': this.below(level),
            // Expired messages move on only once the next hop confirmed them.
            'x-dead-letter-strategy': 'at-least-once',
            'x-overflow': 'reject-publish',
          });
          await channel.bindQueue(name, name, '', {
            'x-match': 'all',
            [delayBitHeader(level)]: '1',
          });
        } finally {
          await channel.close().catch(() => {});
        }
      },
      this.spare,
    );
  }

  private once(
    key: string,
    declare: (channel: Channel) => Promise<void>,
    on: { get(): Promise<Channel> } = this.admin,
  ): Promise<void> {
    let pending = this.done.get(key);
    if (!pending) {
      pending = on.get().then(declare);
      this.done.set(key, pending);
      // A failed declaration is tried again by the next caller.
      pending.catch(() => this.done.delete(key));
    }
    return pending;
  }

  private async exchange(
    channel: Channel,
    name: string,
    type: string,
    options: { alternateExchange?: string } = {},
  ): Promise<void> {
    this.exchanges.add(name);
    await channel.assertExchange(name, type, { durable: true, autoDelete: false, ...options });
  }

  private async queue(
    channel: Channel,
    name: string,
    args: Record<string, string | number>,
  ): Promise<void> {
    this.queues.add(name);
    await channel.assertQueue(name, { durable: true, autoDelete: false, arguments: args });
  }
}
