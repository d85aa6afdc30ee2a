import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import { moveDueScript } from './scripts.js';

/** Most members moved per delayed set in one script run: one run never blocks Redis long. */
const MOVE_LIMIT = 500;
/** Runs back to back while messages are overdue, before yielding to a timer. */
const MAX_RUNS_IN_A_ROW = 20;

/**
 * Moves a topic's due delayed messages into its stream, for this process. It sleeps until the
 * earliest due time it knows of (told by the script after each move, and by this process after
 * each message it delays), and while local receivers read the topic it also looks every
 * `pollMs`: another instance may have scheduled something sooner, and after a restart the
 * delayed sets in Redis are all there is.
 */
export class DueMover {
  /** Local receivers' groups (with how many receivers), whose released messages it moves. */
  private readonly groups = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private timerAt = Number.POSITIVE_INFINITY;
  private running?: Promise<void>;
  private rerun = false;
  private stopped = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly topic: string,
    private readonly pollMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  addGroup(group: string): void {
    this.groups.set(group, (this.groups.get(group) ?? 0) + 1);
    void this.run();
  }

  removeGroup(group: string): void {
    const count = (this.groups.get(group) ?? 0) - 1;
    if (count > 0) this.groups.set(group, count);
    else this.groups.delete(group);
  }

  /** This process stored a message due at `dueAt`. */
  expect(dueAt: number): void {
    this.arm(dueAt);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** One pass at a time; a call during a pass asks for another after it. */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.rerun) {
        this.rerun = false;
        void this.run();
      }
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    clearTimeout(this.timer);
    this.timerAt = Number.POSITIVE_INFINITY;
    let next: number | undefined;
    try {
      for (let round = 0; round < MAX_RUNS_IN_A_ROW && !this.stopped; round += 1) {
        next = await this.moveOnce();
        if (next === undefined || next > Date.now()) break;
      }
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)));
      next = Date.now() + this.pollMs;
    }
    if (this.stopped) return;
    const poll = this.groups.size > 0 ? Date.now() + this.pollMs : Number.POSITIVE_INFINITY;
    this.arm(Math.min(next ?? Number.POSITIVE_INFINITY, poll));
  }

  private async moveOnce(): Promise<number | undefined> {
    const groups = [...this.groups.keys()];
    const keys = [
      this.keys.stream(this.topic),
      this.keys.delayed(this.topic),
      ...groups.map((group) => this.keys.groupDelayed(this.topic, group)),
    ];
    const reply = (await moveDueScript.run(this.redis, keys, [
      Date.now(),
      MOVE_LIMIT,
      '',
      ...groups,
    ])) as [number, string];
    return reply[1] === '' ? undefined : Number(reply[1]);
  }

  /** Wakes at `at` unless already due to wake sooner (a message delayed during a pass). */
  private arm(at: number): void {
    if (this.stopped || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => void this.run(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }
}
