import { Pump } from './bus-pump.js';
import type { Payload, Subject } from './bus-subject.js';

/**
 * The floor under the memory adapter: a plain array as the queue, the consumer woken by the
 * publisher and handing each payload over as an async call. No clone, no groups, no acks.
 */
export function memoryReference(): Subject {
  let queue: Payload[] = [];
  let head = 0;
  const pump = new Pump(async (limit) => {
    const taken = queue.slice(head, head + limit);
    head += taken.length;
    // Drop the consumed prefix now and then, so the array does not grow for ever.
    if (head > 10_000 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    return taken;
  }, 100);
  return {
    async publish(payloads) {
      for (const p of payloads) queue.push(p);
      pump.wake();
    },
    async consume(onPayload) {
      pump.start(onPayload, (error) => {
        process.stderr.write(`memory reference consumer failed: ${String(error)}\n`);
      });
    },
    close: () => pump.stop(),
  };
}
