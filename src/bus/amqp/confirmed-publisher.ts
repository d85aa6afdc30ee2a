import type { ConfirmChannel, Options } from 'amqplib';
import type { ChannelSlot } from './channel-slot.js';

export interface Outgoing {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/**
 * Publishes on one confirm channel and resolves once the broker confirmed every message of
 * the call (for quorum queues: written to the log of the queues it was routed to).
 */
export class ConfirmedPublisher {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly slot: ChannelSlot<ConfirmChannel>) {}

  publish(messages: readonly Outgoing[]): Promise<void> {
    const work = this.publishAll(messages);
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Waits for what is being published, then closes the channel. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.slot.close();
  }

  private async publishAll(messages: readonly Outgoing[]): Promise<void> {
    if (messages.length === 0) return;
    const channel = await this.slot.get();
    const confirms: Promise<void>[] = [];
    for (const message of messages) {
      let roomLeft = true;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          roomLeft = channel.publish(
            message.exchange,
            message.routingKey,
            message.content,
            message.options,
            (error) =>
              error
                ? reject(new Error(`RabbitMQ did not confirm a message: ${describe(error)}`))
                : resolve(),
          );
        }),
      );
      if (!roomLeft) await drained(channel);
    }
    await Promise.all(confirms);
  }
}

/** The socket's buffer is full: wait until it drains (or the channel is gone). */
function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
