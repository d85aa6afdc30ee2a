import { BusFullError, type BusTransport, type Envelope, type SendResult } from '../transport.js';
import { closeRedis, duplicateRedis, openRedis, within } from './connection.js';
import { DueMover } from './due-mover.js';
import { RedisKeys } from './keys.js';
import { RedisReceiver } from './redis-receiver.js';
import { createGroupScript, depthScript, sendScript } from './scripts.js';

export interface RedisTransportOptions {
  url: string;
  /** Every key is `<prefix>:…`: deployments (and tests) sharing a server never meet. */
  prefix: string;
  /**
   * How often a receiver takes over deliveries idle past its visibility timeout. Default:
   * half the receiver's visibility timeout, between 100 ms and 15 s.
   */
  claimIntervalMs?: number;
  /**
   * Most messages one topic holds (its stream and scheduled messages together); `send` beyond
   * it fails with `BusFullError` and the bus tries again later. Nothing is ever trimmed: an
   * entry leaves the stream once every group has acknowledged it. Default: unbounded.
   */
  maxLen?: number;
  /** How long an idempotency key is remembered. Default 24 hours. */
  idempotencyWindowMs?: number;
  /**
   * How often a topic with receivers here looks for scheduled messages come due that this
   * process did not schedule itself (another instance's, or from before a restart). Default 1 s.
   */
  delayPollMs?: number;
}

/** Envelopes per send script: one script run holds Redis, so a huge batch goes in parts. */
const SEND_CHUNK = 256;
const HEALTH_TIMEOUT_MS = 2_000;

/**
 * The Redis Streams adapter. A topic is a stream (`<prefix>:<topic>`) read by consumer groups;
 * scheduled and released messages wait in sorted sets until a mover puts them in the stream;
 * idempotency keys are keys with a time to live, set in the same script that stores the
 * message. The queue is FIFO per topic: priorities are the bus's business, within its window.
 */
export function createRedisTransport(options: RedisTransportOptions): BusTransport {
  const keys = new RedisKeys(options.prefix);
  const idempotencyWindowMs = options.idempotencyWindowMs ?? 24 * 60 * 60 * 1_000;
  const delayPollMs = options.delayPollMs ?? 1_000;
  const maxLen = options.maxLen ?? 0;
  let lastError: { message: string; at: number } | undefined;
  const onError = (error: Error): void => {
    lastError = { message: error.message, at: Date.now() };
  };
  const commands = openRedis(options.url, onError);
  const receivers = new Set<RedisReceiver>();
  const movers = new Map<string, DueMover>();
  let closed = false;

  const open = (): void => {
    if (closed) throw new Error('bus transport is closed');
  };
  const mover = (topic: string): DueMover => {
    let found = movers.get(topic);
    if (!found) {
      found = new DueMover(commands, keys, topic, delayPollMs, onError);
      movers.set(topic, found);
    }
    return found;
  };

  async function sendChunk(envelopes: readonly Envelope[]): Promise<SendResult[]> {
    const now = Date.now();
    const scriptKeys: string[] = [];
    const args: (string | number)[] = [now, idempotencyWindowMs, maxLen];
    for (const envelope of envelopes) {
      const idempotencyKey = envelope.idempotencyKey;
      scriptKeys.push(
        keys.stream(envelope.topic),
        keys.delayed(envelope.topic),
        // An unused key slot still names a key of this topic.
        idempotencyKey === undefined
          ? keys.stream(envelope.topic)
          : keys.idempotency(envelope.topic, idempotencyKey),
      );
      args.push(
        JSON.stringify(envelope),
        envelope.deliverAt ?? 0,
        idempotencyKey === undefined ? '0' : '1',
      );
    }
    let repeats: number[];
    try {
      repeats = (await sendScript.run(commands, scriptKeys, args)) as number[];
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('BUSFULL')) {
        throw new BusFullError(
          `${error.message.slice('BUSFULL '.length)} messages, its bound of ${maxLen}: try again later`,
        );
      }
      throw error;
    }
    return envelopes.map((envelope, index) => {
      const duplicate = repeats[index] === 1;
      if (!duplicate && envelope.deliverAt !== undefined && envelope.deliverAt > now) {
        mover(envelope.topic).expect(envelope.deliverAt);
      }
      return { id: envelope.id, duplicate };
    });
  }

  return {
    kind: 'redis',
    async send(envelopes) {
      open();
      const results: SendResult[] = [];
      for (let start = 0; start < envelopes.length; start += SEND_CHUNK) {
        results.push(...(await sendChunk(envelopes.slice(start, start + SEND_CHUNK))));
      }
      return results;
    },
    async receive(topic, receiveOptions, deliver) {
      open();
      await createGroupScript.run(commands, [keys.stream(topic)], [receiveOptions.group]);
      open();
      const due = mover(topic);
      const claimIntervalMs =
        options.claimIntervalMs ??
        Math.min(15_000, Math.max(100, Math.floor(receiveOptions.visibilityTimeoutMs / 2)));
      const receiver: RedisReceiver = new RedisReceiver({
        commands,
        blocking: duplicateRedis(commands, onError, claimIntervalMs),
        keys,
        topic,
        options: { ...receiveOptions },
        claimIntervalMs,
        deliver,
        onDelayed: (dueAt) => due.expect(dueAt),
        onError,
        onClosed: () => {
          receivers.delete(receiver);
          due.removeGroup(receiveOptions.group);
        },
      });
      receivers.add(receiver);
      due.addGroup(receiveOptions.group);
      return receiver;
    },
    async depth(topic, group) {
      const reply = await depthScript.run(
        commands,
        [keys.stream(topic), keys.delayed(topic), keys.groupDelayed(topic, group)],
        [group],
      );
      return Number(reply);
    },
    async health() {
      if (closed) return { ok: false, detail: 'closed' };
      const started = performance.now();
      try {
        await within(HEALTH_TIMEOUT_MS, 'PING', commands.ping());
      } catch (error) {
        return { ok: false, detail: `Redis: ${(error as Error).message}` };
      }
      const ms = (performance.now() - started).toFixed(1);
      const recent =
        lastError && Date.now() - lastError.at < 60_000
          ? `; last error ${Math.round((Date.now() - lastError.at) / 1_000)} s ago: ${lastError.message}`
          : '';
      return { ok: true, detail: `Redis streams, PING ${ms} ms${recent}` };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const receiver of [...receivers]) await receiver.close();
      for (const due of movers.values()) due.stop();
      await closeRedis(commands);
    },
  };
}
