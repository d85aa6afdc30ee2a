/**
 * What every measurement of `bench:bus` drives: something that publishes payloads and hands
 * them to a handler. The bus over a transport is one; each service's native client doing the
 * bare queue operations (bus-ref-*.ts) is the other, so both go through the same driver.
 */
import { type BusTransport, createBus } from '../../src/bus/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createMemoryEventStore } from '../../src/store/index.js';

/** What travels: about the size of a task update, with what the measurements read. */
export interface Payload {
  seq: number;
  /** `performance.now()` just before the publish call: this process's clock. */
  sentAt: number;
  taskId: string;
  state: string;
  text: string;
}

export function payload(seq: number): Payload {
  return {
    seq,
    sentAt: performance.now(),
    taskId: `task-${seq % 1_000}`,
    state: 'TASK_STATE_WORKING',
    text: `progress update number ${seq} of a bench task`,
  };
}

/** Handed every payload as its handler starts; returns nothing, so the delivery is done at once. */
export type OnPayload = (payload: Payload) => void;

export interface Subject {
  /** One payload: a single publish; several: one batch. Resolves once stored (confirmed). */
  publish(payloads: Payload[]): Promise<void>;
  /** Starts the consumer: handlers run up to `CONCURRENCY` at once. */
  consume(onPayload: OnPayload): Promise<void>;
  /** Stops the consumer and closes connections (what it made in the service stays). */
  close(): Promise<void>;
}

/** Handlers at once, the same for the bus's consumer and every reference's. */
export const CONCURRENCY = 64;
/** What a consumer holds unacknowledged: the bus's consumer asks its transport for twice its concurrency. */
export const PREFETCH = CONCURRENCY * 2;
export const GROUP = 'bench';

export interface BusSubjectOptions {
  maxPendingPublishes?: number;
  publishTimeoutMs?: number;
  /** Default CONCURRENCY. */
  concurrency?: number;
  /** Handler body: default none (the delivery is acknowledged as soon as it starts). */
  handle?: () => Promise<void>;
}

/** The bus as the gateway builds it, over `transport`, its dead letters in a memory store. */
export function busSubject(
  transport: BusTransport,
  topic: string,
  options: BusSubjectOptions = {},
): Subject & { depth(): Promise<number> } {
  const bus = createBus(transport, {
    store: createMemoryEventStore(),
    log: createLogger({ level: 'silent' }),
    consumerName: `bench-${process.pid}`,
    ...(options.maxPendingPublishes === undefined
      ? {}
      : { maxPendingPublishes: options.maxPendingPublishes }),
    ...(options.publishTimeoutMs === undefined
      ? {}
      : { publishTimeoutMs: options.publishTimeoutMs }),
  });
  const handle = options.handle;
  return {
    async publish(payloads) {
      if (payloads.length === 1) await bus.publish({ topic, payload: payloads[0] });
      else await bus.publishBatch(payloads.map((p) => ({ topic, payload: p })));
    },
    async consume(onPayload) {
      await bus.subscribe<Payload>(
        topic,
        async (message) => {
          onPayload(message.payload);
          if (handle) await handle();
        },
        { group: GROUP, concurrency: options.concurrency ?? CONCURRENCY },
      );
    },
    depth: () => bus.depth(topic, GROUP),
    close: () => bus.close(5_000),
  };
}

/** A promise with its resolve, for readers that wait to be woken. */
export class Signal {
  private waiting?: () => void;
  private pending = false;

  /** Wakes the waiter, or the next one if nobody waits now. */
  wake(): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve();
    } else {
      this.pending = true;
    }
  }

  /** Resolves at the next wake, or after `ms` at the latest. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve();
      }, ms);
      this.waiting = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
