import { Redis } from 'ioredis';
import { GROUP, type Payload, PREFETCH, Signal, type Subject } from './bus-subject.js';

const BLOCK_MS = 500;

/**
 * The floor under the Redis adapter, with ioredis alone: XADD per publish (a pipeline of them
 * for a batch), a consumer group read with XREADGROUP … BLOCK on a connection of its own, one
 * XACK per message; at most PREFETCH read and not yet acknowledged.
 */
export async function redisReference(url: string, stream: string): Promise<Subject> {
  const commands = new Redis(url, { protocol: 2 });
  const blocking = new Redis(url, { protocol: 2 });
  await commands.xgroup('CREATE', stream, GROUP, '$', 'MKSTREAM');
  const room = new Signal();
  let unacked = 0;
  let stopped = false;
  let loop: Promise<void> | undefined;
  return {
    async publish(payloads) {
      if (payloads.length === 1) {
        await commands.xadd(stream, '*', 'p', JSON.stringify(payloads[0]));
        return;
      }
      const pipeline = commands.pipeline();
      for (const p of payloads) pipeline.xadd(stream, '*', 'p', JSON.stringify(p));
      const replies = (await pipeline.exec()) ?? [];
      for (const [error] of replies) if (error) throw error;
    },
    async consume(onPayload) {
      loop = (async () => {
        while (!stopped) {
          const limit = PREFETCH - unacked;
          if (limit <= 0) {
            await room.wait(BLOCK_MS);
            continue;
          }
          let reply: [string, [string, string[]][]][] | null;
          try {
            reply = (await blocking.xreadgroup(
              'GROUP',
              GROUP,
              'bench',
              'COUNT',
              limit,
              'BLOCK',
              BLOCK_MS,
              'STREAMS',
              stream,
              '>',
            )) as typeof reply;
          } catch (error) {
            if (stopped) return;
            process.stderr.write(`redis reference read failed: ${String(error)}\n`);
            await room.wait(100);
            continue;
          }
          for (const [, entries] of reply ?? []) {
            for (const [id, fields] of entries) {
              unacked += 1;
              onPayload(JSON.parse(fields[1]!) as Payload);
              void commands
                .xack(stream, GROUP, id)
                .catch(() => {})
                .finally(() => {
                  unacked -= 1;
                  room.wake();
                });
            }
          }
        }
      })();
    },
    async close() {
      stopped = true;
      await loop;
      blocking.disconnect();
      await commands.quit();
    },
  };
}
