/**
 * Delayed messages wait in wait queues shared by every group, where the broker cannot count
 * them per group: the transport counts those it put there itself until they are due, so
 * `depth` includes them. What other instances (or this one before a restart) delayed is not
 * counted.
 */
export class PendingDelays {
  private readonly byTarget = new Map<string, number[]>();

  add(target: string, dueAt: number): void {
    const list = this.byTarget.get(target) ?? [];
    list.push(dueAt);
    this.byTarget.set(target, list);
    // Targets nobody asks about are pruned as they grow.
    if (list.length % 1_024 === 0) this.count(target);
  }

  count(target: string, now = Date.now()): number {
    const list = this.byTarget.get(target);
    if (!list) return 0;
    const waiting = list.filter((dueAt) => dueAt > now);
    if (waiting.length === 0) this.byTarget.delete(target);
    else this.byTarget.set(target, waiting);
    return waiting.length;
  }
}
