import { Redis } from 'ioredis';

/**
 * A connection as every Redis part of the bus opens it. RESP2, because the stream replies
 * (XREADGROUP, XINFO) are parsed by shape and RESP3 maps would flatten differently.
 * `onError` receives connection errors, which ioredis would otherwise print itself.
 */
export function openRedis(url: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, { protocol: 2, lazyConnect: false });
  redis.on('error', onError);
  return redis;
}

/** A second connection to the same server, for a blocking read or a subscription. */
export function duplicateRedis(redis: Redis, onError: (error: Error) => void): Redis {
  const copy = redis.duplicate();
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
