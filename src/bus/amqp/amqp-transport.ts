import { performance } from 'node:perf_hooks';
import { type ChannelModel, connect } from 'amqplib';
import type {
  BusTransport,
  Envelope,
  ReceiveOptions,
  SendResult,
  TransportDelivery,
  TransportHealth,
} from '../transport.js';
import { AmqpReceiver, type ReceiverHost } from './amqp-receiver.js';
import { ChannelSlot } from './channel-slot.js';
import { ConfirmedPublisher, type Outgoing } from './confirmed-publisher.js';
import { delayRoute } from './delay-route.js';
import { IdempotencyWindow } from './idempotency-window.js';
import { AmqpNames, queueTarget, topicTarget } from './names.js';
import { PendingDelays } from './pending-delays.js';
import { AmqpTopology } from './topology.js';
import { encodeEnvelope, publishOptions } from './wire.js';

export interface AmqpTransportOptions {
  /** `amqp://user:password@host:5672/vhost`. */
  url: string;
  /** Names every exchange and queue of this bus; instances sharing queues share it. */
  prefix: string;
  /** Idempotency keys remembered by this transport (oldest forgotten first). Default 100,000. */
  idempotencyWindow?: number;
  /** How long `health` waits for the broker's answer. Default 5 s. */
  healthTimeoutMs?: number;
}

export interface AmqpTransport extends BusTransport {
  receive(
    topic: string,
    options: ReceiveOptions,
    deliver: (delivery: TransportDelivery) => void,
  ): Promise<AmqpReceiver>;
  /** Exchanges and queues this transport declared: for teardown and for operators. */
  declared(): { exchanges: string[]; queues: string[] };
}

/**
 * The RabbitMQ adapter (3.10 or later: quorum queues with message TTL and at-least-once
 * dead-lettering). One quorum queue per (topic, group), bound to the topic's fanout exchange;
 * persistent messages on a confirm channel; delays in the broker (see delay-route.ts), so
 * scheduled messages and releases outlive this process. Reconnecting is not done here: a lost
 * connection shows in `health`, and the transport is made anew.
 */
export async function createAmqpTransport(options: AmqpTransportOptions): Promise<AmqpTransport> {
  const names = new AmqpNames(options.prefix);
  const connection = await connect(options.url);
  const state = watchConnection(connection);
  const admin = new ChannelSlot(() => connection.createChannel());
  const probe = new ChannelSlot(() => connection.createChannel());
  const publisher = new ConfirmedPublisher(
    new ChannelSlot(() => connection.createConfirmChannel()),
  );
  const topology = new AmqpTopology(names, admin, () => connection.createChannel());
  try {
    await topology.base();
  } catch (error) {
    await connection.close().catch(() => {});
    throw error;
  }
  const window = new IdempotencyWindow(options.idempotencyWindow ?? 100_000);
  const pending = new PendingDelays();
  const receivers = new Set<AmqpReceiver>();
  const where = brokerAddress(options.url, connection);
  let closed = false;

  function ensureOpen(): void {
    if (closed) throw new Error('bus transport is closed');
    if (state.lost) throw new Error(`RabbitMQ connection lost: ${state.lost}`);
  }

  /** A message due at `dueAt` for `target` on the due exchange, through the delay chain. */
  async function toTarget(
    target: string,
    dueAt: number,
    content: Buffer,
    envelope: Envelope,
    deliveries: number,
  ): Promise<Outgoing> {
    const planned = delayRoute(dueAt - Date.now());
    if (planned) await topology.levels(planned.top);
    // Declaring took time: the route is taken afresh (never longer, so its levels exist).
    const route = delayRoute(dueAt - Date.now());
    return {
      exchange: route ? names.delayLevel(route.top) : names.due,
      routingKey: target,
      content,
      options: publishOptions(envelope, deliveries, { dueAt, headers: route?.headers }),
    };
  }

  async function immediate(envelope: Envelope): Promise<Outgoing> {
    const exchange = await topology.topic(envelope.topic);
    const content = encodeEnvelope(envelope);
    return { exchange, routingKey: '', content, options: publishOptions(envelope, 0) };
  }

  async function scheduled(envelope: Envelope, deliverAt: number): Promise<Outgoing> {
    await topology.topic(envelope.topic);
    return toTarget(topicTarget(envelope.topic), deliverAt, encodeEnvelope(envelope), envelope, 0);
  }

  const host: ReceiverHost = {
    async delay(queue, message, envelope, dueAt, deliveries) {
      // Not refused while the transport closes: its receivers finish their releases first.
      if (state.lost) throw new Error(`RabbitMQ connection lost: ${state.lost}`);
      const target = queueTarget(queue);
      await publisher.publish([
        await toTarget(target, dueAt, message.content, envelope, deliveries),
      ]);
      pending.add(target, dueAt);
    },
  };

  return {
    kind: 'amqp',

    async send(envelopes: readonly Envelope[]): Promise<SendResult[]> {
      ensureOpen();
      // A name RabbitMQ cannot carry fails the whole batch before any of it is sent.
      for (const envelope of envelopes) names.topicExchange(envelope.topic);
      const results: SendResult[] = [];
      const now: Envelope[] = [];
      const later: Envelope[] = [];
      for (const envelope of envelopes) {
        const key = envelope.idempotencyKey;
        if (key !== undefined && !window.claim(envelope.topic, key)) {
          results.push({ id: envelope.id, duplicate: true });
          continue;
        }
        results.push({ id: envelope.id, duplicate: false });
        const deliverAt = envelope.deliverAt;
        (deliverAt !== undefined && deliverAt > Date.now() ? later : now).push(envelope);
      }
      // Scheduled envelopes wait for their wait queues to be declared (the first time, a
      // quorum queue per level): the others of the batch, in order, do not wait for them.
      const stored = await Promise.allSettled([
        Promise.all(now.map(immediate)).then((batch) => publisher.publish(batch)),
        Promise.all(later.map((envelope) => scheduled(envelope, envelope.deliverAt!))).then(
          (batch) => publisher.publish(batch),
        ),
      ]);
      const failed = stored.find((outcome) => outcome.status === 'rejected');
      if (failed) {
        for (const { topic, idempotencyKey } of [...now, ...later]) {
          if (idempotencyKey !== undefined) window.forget(topic, idempotencyKey);
        }
        // An exchange deleted under us fails the publish: declare everything again next time.
        topology.forget();
        throw failed.reason;
      }
      for (const { topic, deliverAt } of later) pending.add(topicTarget(topic), deliverAt!);
      return results;
    },

    async receive(
      topic: string,
      receiveOptions: ReceiveOptions,
      deliver: (delivery: TransportDelivery) => void,
    ): Promise<AmqpReceiver> {
      ensureOpen();
      const { prefetch } = receiveOptions;
      // basic.qos takes 1 to 65535; 0 would mean no bound at all.
      if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
        throw new Error(`prefetch must be an integer from 1 to 65535, got ${prefetch}`);
      }
      const queue = await topology.group(topic, receiveOptions.group);
      const channel = await connection.createChannel();
      try {
        const receiver = await AmqpReceiver.open(channel, queue, receiveOptions, deliver, host);
        receivers.add(receiver);
        receiver.onClose = () => receivers.delete(receiver);
        return receiver;
      } catch (error) {
        await channel.close().catch(() => {});
        throw error;
      }
    },

    async depth(topic: string, group: string): Promise<number> {
      ensureOpen();
      const queue = names.groupQueue(topic, group);
      // For quorum queues the broker counts only ready messages: what is in hand here and
      // what this transport delayed is added; other instances' is not seen.
      let ready = 0;
      try {
        ready = (await (await probe.get()).checkQueue(queue)).messageCount;
      } catch (error) {
        if ((error as { code?: number }).code !== 404) throw error;
        return 0;
      }
      let inHand = 0;
      for (const receiver of receivers) {
        if (receiver.queue === queue) inHand += receiver.unacknowledged;
      }
      return ready + inHand + pending.count(queueTarget(queue)) + pending.count(topicTarget(topic));
    },

    async health(): Promise<TransportHealth> {
      if (closed) return { ok: false, detail: 'closed' };
      if (state.lost) return { ok: false, detail: `RabbitMQ connection lost: ${state.lost}` };
      const started = performance.now();
      try {
        const parked = await withTimeout(
          probe.get().then((channel) => channel.checkQueue(names.parked)),
          options.healthTimeoutMs ?? 5_000,
        );
        const ms = Math.round(performance.now() - started);
        const notes = [`${where}, prefix ${names.prefix}: round trip ${ms} ms`];
        if (parked.messageCount > 0) {
          notes.push(
            `${parked.messageCount} messages parked in ${names.parked} (sent to a topic with no group, or unreadable)`,
          );
        }
        if (state.blocked) notes.push(`publishing blocked by the broker: ${state.blocked}`);
        const troubles = [...receivers].flatMap((receiver) => receiver.trouble ?? []);
        notes.push(...troubles.map((trouble) => `receiver ${trouble}`));
        return {
          ok: state.blocked === undefined && troubles.length === 0,
          detail: notes.join('; '),
        };
      } catch (error) {
        const reason = state.lost ?? (error instanceof Error ? error.message : String(error));
        return { ok: false, detail: `${where}: no answer (${reason})` };
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const receiver of [...receivers]) await receiver.close();
      await publisher.close();
      await admin.close();
      await probe.close();
      state.closing = true;
      await connection.close().catch(() => {});
    },

    declared() {
      return { exchanges: [...topology.exchanges], queues: [...topology.queues] };
    },
  };
}

interface ConnectionState {
  lost?: string;
  blocked?: string;
  closing: boolean;
}

function watchConnection(connection: ChannelModel): ConnectionState {
  const state: ConnectionState = { closing: false };
  connection.on('error', (error: Error) => {
    state.lost ??= error.message;
  });
  connection.on('close', (error?: Error) => {
    if (!state.closing) state.lost ??= error?.message ?? 'closed by the broker';
  });
  connection.on('blocked', (reason: string) => {
    state.blocked = reason;
  });
  connection.on('unblocked', () => {
    state.blocked = undefined;
  });
  return state;
}

/** Product, version and address, never the credentials of the URL. */
function brokerAddress(url: string, connection: ChannelModel): string {
  const server = connection.connection.serverProperties;
  let address = 'broker';
  try {
    address = new URL(url).host;
  } catch {}
  return `${server.product ?? 'AMQP broker'} ${server.version ?? ''} at ${address}`.replace(
    /\s+/g,
    ' ',
  );
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
