import {
  AckPolicy,
  type ConsumerMessages,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Payload, Subject } from './bus-subject.js';
import { PREFETCH } from './bus-subject.js';

const EXPIRES_MS = 1_000;

/**
 * The floor under the NATS adapter, with the JetStream client alone: a file-backed work-queue
 * stream, `js.publish` per message awaiting its PubAck (a batch is that many publishes in
 * parallel: JetStream has no batch publish), a durable pull consumer read with `fetch` of up
 * to PREFETCH and a plain `ack()` per message. The stream is `stream`, deleted by the caller.
 */
export async function natsReference(servers: string, stream: string): Promise<Subject> {
  const nc = await connect({ servers: servers.split(',').map((s) => s.trim()) });
  const jsm = await jetstreamManager(nc);
  const subject = `${stream}.msg`;
  await jsm.streams.add({
    name: stream,
    subjects: [subject],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
  });
  await jsm.consumers.add(stream, { durable_name: 'bench', ack_policy: AckPolicy.Explicit });
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, 'bench');
  let stopped = false;
  let current: ConsumerMessages | undefined;
  let loop: Promise<void> | undefined;
  return {
    async publish(payloads) {
      await Promise.all(payloads.map((p) => js.publish(subject, JSON.stringify(p))));
    },
    async consume(onPayload) {
      loop = (async () => {
        while (!stopped) {
          try {
            current = await consumer.fetch({ max_messages: PREFETCH, expires: EXPIRES_MS });
            for await (const m of current) {
              onPayload(m.json<Payload>());
              m.ack();
            }
          } catch (error) {
            if (stopped) return;
            process.stderr.write(`nats reference fetch failed: ${String(error)}\n`);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      })();
    },
    async close() {
      stopped = true;
      current?.stop();
      await loop;
      await nc.drain();
    },
  };
}
