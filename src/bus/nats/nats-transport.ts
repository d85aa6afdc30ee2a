import { JetStreamApiError, jetstream, jetstreamManager, type PubAck } from '@nats-io/jetstream';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import {
  BusFullError,
  type BusTransport,
  type Envelope,
  type SendResult,
  type TransportHealth,
} from '../transport.js';
import { DeliverAtMover } from './deliver-at-mover.js';
import { encodeEnvelope } from './envelope-codec.js';
import { Acknowledger } from './jetstream-wire.js';
import { checkPrefix, DELIVER_AT_HEADER, keyMessageId, type TopicNames } from './names.js';
import { NatsReceiver } from './nats-receiver.js';
import type { PullerTiming } from './puller.js';
import { Topology } from './topology.js';

export interface NatsTransportOptions {
  /** `nats://host:port`, several comma-separated or as a list. */
  servers: string | readonly string[];
  /** Namespace of this bus's streams: 1 to 32 letters, digits or dashes. */
  prefix: string;
  /** How long a topic remembers idempotency keys (the stream's `duplicate_window`). Default 2 min. */
  duplicateWindowMs?: number;
  /** Most messages a topic holds (sent, not yet acknowledged by every group); beyond it `send` throws `BusFullError`. */
  maxMessages?: number;
  /** Copies of each topic's stream in a JetStream cluster. Default 1. */
  replicas?: number;
  /** Bound on each round trip to the server (publish, ack, management). Default 5 s. */
  requestTimeoutMs?: number;
  /** Connection name the server shows. */
  name?: string;
  /** Long-poll timing of pull requests (default: 30 s polls). */
  pullTiming?: PullerTiming;
}

/** The store refusing a message (10077) because a bounded stream is full, not for another reason. */
function streamFull(error: unknown): error is JetStreamApiError {
  return (
    error instanceof JetStreamApiError &&
    error.code === 10077 &&
    /maximum (messages|bytes) exceeded/i.test(error.message)
  );
}

/**
 * The NATS JetStream adapter (nats-server 2.9 and later): a stream per topic, a durable pull
 * consumer per group, idempotency keys as `Nats-Msg-Id` in the stream's duplicate window,
 * `deliverAt` through a delayed subject and a mover, releases as delayed naks.
 */
export async function createNatsTransport(options: NatsTransportOptions): Promise<BusTransport> {
  checkPrefix(options.prefix);
  const timeout = options.requestTimeoutMs ?? 5_000;
  const servers =
    typeof options.servers === 'string'
      ? options.servers.split(',').map((server) => server.trim())
      : [...options.servers];
  const nc = await connect({
    servers,
    name: options.name ?? `a2a-gateway bus ${options.prefix}`,
    maxReconnectAttempts: -1,
  });
  let jsm: Awaited<ReturnType<typeof jetstreamManager>>;
  try {
    jsm = await jetstreamManager(nc, { timeout });
  } catch (error) {
    await nc.close();
    throw error;
  }
  const js = jetstream(nc, { timeout });
  const acks = new Acknowledger(nc, timeout);
  const topology = new Topology(jsm, {
    prefix: options.prefix,
    duplicateWindowMs: options.duplicateWindowMs ?? 120_000,
    maxMessages: options.maxMessages,
    replicas: options.replicas ?? 1,
  });
  const receivers = new Set<NatsReceiver>();
  const movers = new Map<string, DeliverAtMover>();
  let closed = false;

  function publish(envelope: Envelope, names: TopicNames, body: Uint8Array): Promise<PubAck> {
    const delayed = envelope.deliverAt !== undefined && envelope.deliverAt > Date.now();
    const hdrs = delayed ? natsHeaders() : undefined;
    hdrs?.set(DELIVER_AT_HEADER, String(envelope.deliverAt));
    return js.publish(delayed ? names.delayed : names.ready, body, {
      msgID:
        envelope.idempotencyKey === undefined ? undefined : keyMessageId(envelope.idempotencyKey),
      expect: { streamName: names.stream },
      headers: hdrs,
    });
  }

  function startMover(topic: string): void {
    if (movers.has(topic)) return;
    movers.set(
      topic,
      new DeliverAtMover({
        nc,
        js,
        acks,
        names: topology.names(topic),
        repair: async () => {
          topology.forget(topic);
          await topology.topic(topic);
        },
        timing: options.pullTiming,
      }),
    );
  }

  return {
    kind: 'nats',

    async send(envelopes) {
      if (closed) throw new Error('bus transport is closed');
      const topics = [...new Set(envelopes.map((envelope) => envelope.topic))];
      const names = new Map<string, TopicNames>();
      for (const topic of topics) names.set(topic, await topology.topic(topic));
      const maxPayload = nc.info?.max_payload ?? Number.POSITIVE_INFINITY;
      const bodies = envelopes.map((envelope) => {
        const body = encodeEnvelope(envelope);
        if (body.length > maxPayload) {
          throw new Error(
            `envelope ${envelope.id} is ${body.length} bytes; the NATS server takes at most ${maxPayload}`,
          );
        }
        return body;
      });
      // Every publish goes on the wire before any answer is awaited: one round trip, in order.
      const pending = envelopes.map((envelope, n) =>
        publish(envelope, names.get(envelope.topic) as TopicNames, bodies[n] as Uint8Array),
      );
      const settled = await Promise.allSettled(pending);
      const results: SendResult[] = [];
      for (const [n, outcome] of settled.entries()) {
        const envelope = envelopes[n] as Envelope;
        if (outcome.status === 'fulfilled') {
          results.push({ id: envelope.id, duplicate: outcome.value.duplicate });
          continue;
        }
        const error: unknown = outcome.reason;
        if (streamFull(error)) {
          throw new BusFullError(`topic ${envelope.topic} is full: ${error.message}`);
        }
        // The stream may be gone (deleted, a server without its state): made again next time.
        topology.forget(envelope.topic);
        throw error;
      }
      return results;
    },

    async receive(topic, receiveOptions, deliver) {
      if (closed) throw new Error('bus transport is closed');
      if (!(receiveOptions.prefetch >= 1) || !(receiveOptions.visibilityTimeoutMs > 0)) {
        throw new Error('receive needs prefetch >= 1 and visibilityTimeoutMs > 0');
      }
      const { group, visibilityTimeoutMs } = receiveOptions;
      const names = await topology.group(topic, group, visibilityTimeoutMs);
      if (closed) throw new Error('bus transport is closed');
      startMover(topic);
      const receiver = new NatsReceiver({
        nc,
        acks,
        stream: names.stream,
        consumer: names.consumer,
        options: { ...receiveOptions },
        deliver,
        repair: async () => {
          topology.forget(topic);
          await topology.group(topic, group, visibilityTimeoutMs);
        },
        timing: options.pullTiming,
      });
      receivers.add(receiver);
      receiver.onClose = () => receivers.delete(receiver);
      return receiver;
    },

    depth(topic, group) {
      return topology.depth(topic, group);
    },

    async health(): Promise<TransportHealth> {
      if (closed || nc.isClosed()) return { ok: false, detail: 'closed' };
      const started = performance.now();
      try {
        const account = await jsm.getAccountInfo();
        const ms = Math.round(performance.now() - started);
        return {
          ok: true,
          detail: `JetStream at ${nc.getServer()} (nats-server ${nc.info?.version ?? '?'}) answered in ${ms} ms; account holds ${account.streams} streams`,
        };
      } catch (error) {
        return {
          ok: false,
          detail: `JetStream at ${nc.getServer()} did not answer: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const receiver of [...receivers]) await receiver.close();
      for (const mover of movers.values()) await mover.close();
      movers.clear();
      await nc.drain().catch(() => {});
    },
  };
}
