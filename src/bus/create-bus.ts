import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '../observability/index.js';
import type { EventStore } from '../store/index.js';
import {
  type Bus,
  BusBackpressureError,
  type BusHealth,
  type MessageHandler,
  type OutgoingMessage,
  type PublishReceipt,
} from './bus.js';
import { BusConsumer, ONLY_GROUP_HEADER } from './consumer.js';
import { type DeadLetterAdmin, DeadLetters } from './dead-letters.js';
import { type BusMiddleware, compose, type PublishContext } from './middleware.js';
import { BusFullError, type BusTransport, type Envelope } from './transport.js';

export interface CreateBusOptions {
  /** Where dead letters are recorded, as events. */
  store: EventStore;
  log: Logger;
  middleware?: readonly BusMiddleware[];
  /** This process among the consumers of a group (the instance id). */
  consumerName?: string;
  /** Most messages on their way to the transport at once; more publishers wait. Default 1,000. */
  maxPendingPublishes?: number;
  /** How long a publisher waits for room before `BusBackpressureError`. Default 10 s. */
  publishTimeoutMs?: number;
  /** Most publishers waiting for room; more are refused at once. Default `maxPendingPublishes`. */
  maxWaitingPublishes?: number;
}

interface Waiter {
  count: number;
  wake: () => void;
}

export interface GatewayBus extends Bus {
  readonly deadLetters: DeadLetterAdmin;
  readonly transport: BusTransport;
}

/** Message id of an idempotent publish: the same topic and key give the same id. */
export function idempotentMessageId(topic: string, key: string): string {
  const hex = createHash('sha256').update(`${topic}\n${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The bus over one transport: the same middleware, retries, dead letters, priorities and
 * backpressure whichever adapter carries the messages.
 */
export function createBus(transport: BusTransport, options: CreateBusOptions): GatewayBus {
  const middleware = options.middleware ?? [];
  const consumers = new Set<BusConsumer>();
  const maxPending = options.maxPendingPublishes ?? 1_000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  const consumerName = options.consumerName ?? `consumer-${randomUUID().slice(0, 8)}`;
  const maxWaiting = options.maxWaitingPublishes ?? maxPending;
  let pending = 0;
  const waiters: Waiter[] = [];
  let closed = false;

  const prepare = compose<PublishContext>(
    middleware.flatMap((m) => (m.publish ? [m.publish] : [])),
    async () => {},
  );
  const consumePipeline = (handler: MessageHandler) =>
    compose(
      middleware.flatMap((m) => (m.consume ? [m.consume] : [])),
      ({ message, signal }) => handler(message, signal),
    );

  function form(message: OutgoingMessage): Envelope {
    const now = Date.now();
    const deliverAt =
      message.deliverAt instanceof Date
        ? message.deliverAt.getTime()
        : (message.deliverAt ??
          (message.delayMs !== undefined && message.delayMs > 0
            ? now + message.delayMs
            : undefined));
    return {
      id:
        message.idempotencyKey === undefined
          ? randomUUID()
          : idempotentMessageId(message.topic, message.idempotencyKey),
      topic: message.topic,
      payload: message.payload,
      ...(message.key === undefined ? {} : { key: message.key }),
      priority: message.priority ?? 'normal',
      headers: { ...message.headers },
      publishedAt: now,
      ...(deliverAt === undefined ? {} : { deliverAt }),
      ...(message.idempotencyKey === undefined ? {} : { idempotencyKey: message.idempotencyKey }),
    };
  }

  /**
   * Reserves room for `count` messages on their way to the transport. Publishers beyond the
   * bound queue in arrival order, each woken only when the room it needs is free; beyond
   * `maxWaitingPublishes` of them, or after `publishTimeoutMs`, a publish is refused at once:
   * under overload the excess costs an error, not memory.
   */
  function acquire(count: number): Promise<void> | undefined {
    if (waiters.length === 0 && (pending === 0 || pending + count <= maxPending)) {
      pending += count;
      return undefined;
    }
    if (waiters.length >= maxWaiting) {
      return Promise.reject(
        new BusBackpressureError(
          `the bus has ${pending} messages on their way and ${waiters.length} publishers waiting (bounds ${maxPending}, ${maxWaiting}): publish later`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        count,
        wake: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const index = waiters.indexOf(waiter);
        if (index >= 0) waiters.splice(index, 1);
        reject(
          new BusBackpressureError(
            `no room on the bus within ${publishTimeoutMs} ms (${pending} messages on their way, bound ${maxPending}): publish later`,
          ),
        );
      }, publishTimeoutMs);
      waiters.push(waiter);
    });
  }

  function free(count: number): void {
    pending -= count;
    for (let next = waiters[0]; next; next = waiters[0]) {
      if (pending > 0 && pending + next.count > maxPending) break;
      waiters.shift();
      pending += next.count;
      next.wake();
    }
  }

  async function sendWithRoom(envelopes: Envelope[]): Promise<PublishReceipt[]> {
    const deadline = Date.now() + publishTimeoutMs;
    await acquire(envelopes.length);
    try {
      for (let wait = 25; ; wait = Math.min(wait * 2, 1_000)) {
        try {
          return await transport.send(envelopes);
        } catch (error) {
          if (!(error instanceof BusFullError)) throw error;
          if (Date.now() + wait > deadline) {
            throw new BusBackpressureError(`${error.message} (waited ${publishTimeoutMs} ms)`);
          }
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    } finally {
      free(envelopes.length);
    }
  }

  async function publishBatch(messages: readonly OutgoingMessage[]): Promise<PublishReceipt[]> {
    if (closed) throw new Error('the bus is closed');
    const envelopes = messages.map(form);
    for (const envelope of envelopes) await prepare({ envelope });
    return sendWithRoom(envelopes);
  }

  const deadLetters = new DeadLetters(options.store, async (envelope, group) => {
    const { deliverAt: _now, ...again } = envelope;
    await sendWithRoom([{ ...again, headers: { ...again.headers, [ONLY_GROUP_HEADER]: group } }]);
  });

  return {
    kind: transport.kind,
    transport,
    deadLetters,
    async publish(message) {
      const [receipt] = await publishBatch([message]);
      if (!receipt) throw new Error('the transport returned no receipt');
      return receipt;
    },
    publishBatch,
    async subscribe(topic, handler, consumerOptions) {
      if (closed) throw new Error('the bus is closed');
      const consumer = new BusConsumer(topic, consumerOptions, {
        transport,
        pipeline: consumePipeline(handler as MessageHandler),
        deadLetters,
        consumerName,
        log: options.log,
      });
      await consumer.start();
      consumers.add(consumer);
      return consumer;
    },
    depth: (topic, group) => transport.depth(topic, group),
    async health(): Promise<BusHealth> {
      const health = await transport
        .health()
        .catch((error: unknown) => ({ ok: false, detail: String(error) }));
      return {
        ok: health.ok,
        kind: transport.kind,
        detail: health.detail,
        consumers: [...consumers].map((c) => ({
          topic: c.topic,
          group: c.group,
          paused: c.isPaused(),
          inFlight: c.stats().inFlight,
        })),
      };
    },
    async close(timeoutMs = 10_000) {
      if (closed) return;
      closed = true;
      const drained = Promise.all([...consumers].map((c) => c.drain()));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      if ((await Promise.race([drained, timedOut])) === 'timeout') {
        options.log.warn('bus consumers did not drain in time: stopping their handlers', {
          timeoutMs,
        });
        for (const consumer of consumers) consumer.stop();
      }
      clearTimeout(timer);
      await transport.close();
    },
  };
}
