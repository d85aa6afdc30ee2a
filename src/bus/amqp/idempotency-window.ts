/**
 * RabbitMQ has no deduplication: the transport remembers the last `capacity` idempotency keys
 * it sent, per topic, in this process only. Another instance, or this one after a restart,
 * does not know them.
 */
export class IdempotencyWindow {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** True when the key is new (and now remembered); false for a repeat. */
  claim(topic: string, key: string): boolean {
    const entry = `${topic}\u0000${key}`;
    if (this.keys.has(entry)) return false;
    this.keys.add(entry);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
    return true;
  }

  /** A send that failed gives its key back, so trying again is not taken for a repeat. */
  forget(topic: string, key: string): void {
    this.keys.delete(`${topic}\u0000${key}`);
  }
}
