/**
 * Every exchange and queue of a transport is named from its prefix. Topics and groups are
 * `<prefix>.<topic>` and `<prefix>.<topic>/<group>`; the transport's own machinery is
 * `<prefix>/…`. A topic (and the prefix) may hold no `/`, so no topic or group name can
 * collide with another or with the machinery.
 */
export class AmqpNames {
  constructor(readonly prefix: string) {
    if (prefix.length === 0 || prefix.includes('/')) {
      throw new Error(`AMQP prefix must be non-empty and hold no '/': ${JSON.stringify(prefix)}`);
    }
  }

  /** Fanout exchange every group queue of the topic is bound to. */
  topicExchange(topic: string): string {
    if (topic.length === 0 || topic.includes('/')) {
      throw new Error(`AMQP topic must be non-empty and hold no '/': ${JSON.stringify(topic)}`);
    }
    return checked(`${this.prefix}.${topic}`);
  }

  groupQueue(topic: string, group: string): string {
    if (group.length === 0) throw new Error('AMQP consumer group must be non-empty');
    return checked(`${this.topicExchange(topic)}/${group}`);
  }

  /** Direct exchange where delayed messages land when due, routed by their target key. */
  get due(): string {
    return `${this.prefix}/due`;
  }

  /** Exchange and queue keeping what could not be routed (no group yet) or read (malformed). */
  get parked(): string {
    return `${this.prefix}/parked`;
  }

  delayLevel(level: number): string {
    return `${this.prefix}/delay/${level}`;
  }
}

/** Routing key on the due exchange of a message for every group of a topic. */
export function topicTarget(topic: string): string {
  return `t:${topic}`;
}

/** Routing key on the due exchange of a message for one group's queue. */
export function queueTarget(queue: string): string {
  return `q:${queue}`;
}

/** AMQP short strings: names and routing keys are at most 255 bytes. */
function checked(name: string): string {
  if (Buffer.byteLength(name) > 253) {
    throw new Error(`AMQP name too long (255 bytes at most, routing keys included): ${name}`);
  }
  return name;
}
