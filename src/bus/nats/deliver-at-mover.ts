import type { JetStreamClient } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { type Acknowledger, parseAckSubject } from './jetstream-wire.js';
import { DELIVER_AT_HEADER, MOVER_CONSUMER, moveMessageId, type TopicNames } from './names.js';
import { Puller, type PullerTiming } from './puller.js';

/** Delayed messages this instance works on at once (each is a republish or a delayed nak). */
const IN_FLIGHT = 64;
/** A move that failed (publish refused, stream full) is tried again after this. */
const RETRY_MS = 1_000;

export interface DeliverAtMoverParts {
  nc: NatsConnection;
  js: JetStreamClient;
  acks: Acknowledger;
  names: TopicNames;
  repair: () => Promise<void>;
  timing?: PullerTiming;
}

/**
 * Moves a topic's delayed messages to its ready subject when they fall due. nats-server 2.9
 * schedules nothing itself, and a group consumer that naks an early message until it is due
 * would count those naks as deliveries; here the mover's own consumer takes those naks, and a
 * group first sees the message when it is due, so `attempt` stays exact. The delayed message
 * stays in the stream until its copy is stored (republish, then ack; the copy's message id
 * makes a repeated move a duplicate), so scheduled messages outlive restarts of anything.
 * Every instance receiving from the topic runs one; they share the durable consumer.
 */
export class DeliverAtMover {
  private inFlight = 0;
  private readonly puller: Puller;

  constructor(private readonly parts: DeliverAtMoverParts) {
    this.puller = new Puller(
      parts.nc,
      parts.names.stream,
      MOVER_CONSUMER,
      {
        room: () => IN_FLIGHT - this.inFlight,
        take: (msg, reply) => void this.move(msg, reply),
        // It comes back at once and is looked at again.
        stray: (_msg, reply) => void parts.acks.nak(reply, 0).catch(() => {}),
        repair: parts.repair,
      },
      parts.timing,
    );
    this.puller.start();
    this.puller.pump();
  }

  async close(): Promise<void> {
    await this.puller.stop();
  }

  private async move(msg: Msg, reply: string): Promise<void> {
    this.inFlight += 1;
    const { acks, js, names } = this.parts;
    try {
      const info = parseAckSubject(reply);
      if (!info) return;
      const due = Number(msg.headers?.get(DELIVER_AT_HEADER));
      const wait = Number.isFinite(due) ? due - Date.now() : 0;
      if (wait > 0) {
        await acks.nak(reply, wait);
        return;
      }
      await js.publish(names.ready, msg.data, {
        msgID: moveMessageId(info.streamSequence),
        expect: { streamName: names.stream },
      });
      await acks.ack(reply);
    } catch {
      await acks.nak(reply, RETRY_MS).catch(() => {});
    } finally {
      this.inFlight -= 1;
      this.puller.pump();
    }
  }
}
