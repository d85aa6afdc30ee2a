import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { groupConsumer, MOVER_CONSUMER, type TopicNames, topicNames } from './names.js';

/** "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;
/** The mover republishes at once; its ack wait only matters when an instance dies mid-move. */
const MOVER_ACK_WAIT_MS = 30_000;

export interface TopologyOptions {
  prefix: string;
  duplicateWindowMs: number;
  /** Per topic; beyond it the server refuses new messages (discard new). */
  maxMessages?: number;
  /** Copies of each stream in a JetStream cluster. */
  replicas: number;
}

export interface GroupNames extends TopicNames {
  consumer: string;
}

/**
 * Streams and consumers. A topic is one stream with interest retention: a message stays until
 * every consumer whose subject it is on has acknowledged it (each group's consumer on `ready`,
 * the mover on `delayed`), so acknowledged work does not pile up on disk. A consequence: what is
 * sent to a topic before any group ever received from it is not kept, as with a queue-less
 * exchange; the gateway starts its consumers before it publishes.
 */
export class Topology {
  private readonly topics = new Map<string, Promise<TopicNames>>();

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly options: TopologyOptions,
  ) {}

  names(topic: string): TopicNames {
    return topicNames(this.options.prefix, topic);
  }

  /** The topic's stream and mover consumer, made once per transport (again after `forget`). */
  topic(topic: string): Promise<TopicNames> {
    let made = this.topics.get(topic);
    if (!made) {
      made = this.make(topic);
      this.topics.set(topic, made);
      made.catch(() => this.topics.delete(topic));
    }
    return made;
  }

  /** Made again on next use: after a failure that suggests the stream is gone. */
  forget(topic: string): void {
    this.topics.delete(topic);
  }

  /**
   * The group's durable consumer, made or brought to this `ackWaitMs` (a consumer has one ack
   * wait: the latest `receive` of the group sets it for all its members).
   */
  async group(topic: string, group: string, ackWaitMs: number): Promise<GroupNames> {
    const names = await this.topic(topic);
    const consumer = groupConsumer(group);
    await this.consumer(names.stream, {
      durable_name: consumer,
      description: `bus group ${group}`,
      filter_subject: names.ready,
      ack_policy: AckPolicy.Explicit,
      // The group sees every message still in the stream, not only those sent after it came.
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs),
      // The bus's retry policy decides when to give up, and releases wait in the consumer.
      max_deliver: -1,
      max_ack_pending: -1,
    });
    return { ...names, consumer };
  }

  /** What the group has not acknowledged, and the topic's messages not yet due (every group's). */
  async depth(topic: string, group: string): Promise<number> {
    const names = this.names(topic);
    const [members, mover] = await Promise.all([
      this.info(names.stream, groupConsumer(group)),
      this.info(names.stream, MOVER_CONSUMER),
    ]);
    if (!members) return 0;
    const unsettled = (info?: ConsumerInfo) => (info ? info.num_pending + info.num_ack_pending : 0);
    return unsettled(members) + unsettled(mover);
  }

  private async make(topic: string): Promise<TopicNames> {
    const names = this.names(topic);
    const bounded = this.options.maxMessages !== undefined;
    try {
      await this.jsm.streams.add({
        name: names.stream,
        description: `bus topic ${topic}`,
        subjects: [names.ready, names.delayed],
        retention: RetentionPolicy.Interest,
        storage: StorageType.File,
        discard: bounded ? DiscardPolicy.New : DiscardPolicy.Old,
        max_msgs: this.options.maxMessages ?? -1,
        duplicate_window: nanos(this.options.duplicateWindowMs),
        num_replicas: this.options.replicas,
      });
    } catch (error) {
      // Made first by an instance with another window or bound: the stream's settings stand.
      if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
    }
    await this.consumer(names.stream, {
      durable_name: MOVER_CONSUMER,
      description: 'bus: moves delayed messages to ready when due',
      filter_subject: names.delayed,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(MOVER_ACK_WAIT_MS),
      max_deliver: -1,
      // Every message not yet due waits here, nak'ed until its time.
      max_ack_pending: -1,
    });
    return names;
  }

  private async consumer(
    stream: string,
    config: Partial<ConsumerConfig> & { durable_name: string },
  ): Promise<void> {
    try {
      await this.jsm.consumers.add(stream, config);
    } catch (error) {
      // nats-server 2.9 updates a durable through `add`; later servers want an update.
      try {
        await this.jsm.consumers.update(stream, config.durable_name, {
          ack_wait: config.ack_wait,
        });
      } catch {
        throw error;
      }
    }
  }

  private async info(stream: string, consumer: string): Promise<ConsumerInfo | undefined> {
    try {
      return await this.jsm.consumers.info(stream, consumer);
    } catch (error) {
      const missing =
        error instanceof JetStreamApiError &&
        (error.code === JetStreamApiCodes.ConsumerNotFound ||
          error.code === JetStreamApiCodes.StreamNotFound);
      if (missing) return undefined;
      throw error;
    }
  }
}
