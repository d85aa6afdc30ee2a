import { Redis } from 'ioredis';

/** No command waits longer for its reply, queued while reconnecting or sent. */
export const COMMAND_TIMEOUT_MS = 10_000;

/**
 * A connection as every Redis part of the bus opens it. RESP2, because the stream replies
 * (XREADGROUP, XINFO) are parsed by shape and RESP3 maps would flatten differently. A command
 * timeout, because while the server is away ioredis queues commands until it is back, and a
 * `disconnect` during a reconnect wait leaves them queued for ever.
 * `onError` receives connection errors, which ioredis would otherwise print itself.
 */
export function openRedis(url: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, { protocol: 2, commandTimeout: COMMAND_TIMEOUT_MS });
  redis.on('error', onError);
  return redis;
}

/**
 * A second connection to the same server, for a blocking read (whose commands may take up to
 * `longestBlockMs` more) or a subscription.
 */
export function duplicateRedis(
  redis: Redis,
  onError: (error: Error) => void,
  longestBlockMs = 0,
): Redis {
  const copy = redis.duplicate({ commandTimeout: COMMAND_TIMEOUT_MS + longestBlockMs });
  copy.on('error', onError);
  return copy;
}

/** Rejects after `ms`: a command against a server that is down queues rather than fails. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes politely (QUIT lets replies in flight arrive) when connected and answering, else at
 * once: a QUIT to a server that is down would wait in the offline queue for ever.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await within(2_000, 'QUIT', redis.quit());
  } catch {
    redis.disconnect();
  }
}
