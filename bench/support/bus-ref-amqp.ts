import { connect } from 'amqplib';
import { type Payload, PREFETCH, type Subject } from './bus-subject.js';

/**
 * The floor under the RabbitMQ adapter, with amqplib alone: a durable quorum queue (the kind
 * the adapter declares), persistent messages on a confirm channel, each publish resolved by
 * its own confirm (a batch: that many sent, then all confirms awaited), and a consumer on a
 * channel of its own with prefetch PREFETCH acknowledging each message. The queue is deleted
 * by the caller.
 */
export async function amqpReference(url: string, queue: string): Promise<Subject> {
  const connection = await connect(url);
  connection.on('error', () => {});
  const publisher = await connection.createConfirmChannel();
  await publisher.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const consumer = await connection.createChannel();
  await consumer.prefetch(PREFETCH);
  let tag: string | undefined;
  const send = (p: Payload) =>
    new Promise<void>((resolve, reject) => {
      publisher.sendToQueue(queue, Buffer.from(JSON.stringify(p)), { persistent: true }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  return {
    async publish(payloads) {
      await Promise.all(payloads.map(send));
    },
    async consume(onPayload) {
      const reply = await consumer.consume(queue, (message) => {
        if (!message) return;
        onPayload(JSON.parse(message.content.toString('utf8')) as Payload);
        consumer.ack(message);
      });
      tag = reply.consumerTag;
    },
    async close() {
      if (tag) await consumer.cancel(tag);
      await connection.close();
    },
  };
}
