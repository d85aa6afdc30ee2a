/**
 * Where a topic's data lives. Names are escaped (`%` and `:`), so a topic or group can hold
 * any character without one topic's keys ever spelling another's.
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  /** The topic's stream: every message ready for delivery, read by the consumer groups. */
  stream(topic: string): string {
    return `${this.prefix}:${escapeName(topic)}`;
  }

  /** Sent with a `deliverAt` still ahead: score = due time; moved to the stream when due. */
  delayed(topic: string): string {
    return `${this.stream(topic)}:delayed`;
  }

  /** One group's released messages waiting for their delay: only that group gets them back. */
  groupDelayed(topic: string, group: string): string {
    return `${this.delayed(topic)}:${escapeName(group)}`;
  }

  /** Set when a message with this idempotency key is stored; expires after the window. */
  idempotency(topic: string, key: string): string {
    return `${this.prefix}:idem:${escapeName(topic)}:${key}`;
  }
}

function escapeName(name: string): string {
  return name.replaceAll('%', '%25').replaceAll(':', '%3A');
}
