import type { Redis } from 'ioredis';
import { callSafely, type Notifier } from '../notifier.js';
import { closeRedis, duplicateRedis, openRedis } from './connection.js';

export interface RedisNotifierOptions {
  url: string;
  /** Channels are `<prefix>:<channel>`, so deployments sharing a server do not hear each other. */
  prefix: string;
}

/**
 * Notifications over Redis pub/sub: at most once, to whoever is subscribed at that moment.
 * Subscriptions live on a connection of their own (a subscribed connection takes no other
 * commands); ioredis subscribes again after a reconnect, and what was sent meanwhile is lost.
 */
export function createRedisNotifier(options: RedisNotifierOptions): Notifier {
  const ignore = (): void => {};
  const publisher = openRedis(options.url, ignore);
  let subscriber: Redis | undefined;
  const channels = new Map<string, Set<(payload: string) => void>>();
  let closed = false;
  const name = (channel: string): string => `${options.prefix}:${channel}`;
  const open = (): void => {
    if (closed) throw new Error('notifier is closed');
  };

  function subscriberConnection(): Redis {
    if (subscriber) return subscriber;
    const connection = duplicateRedis(publisher, ignore);
    connection.on('message', (channel: string, payload: string) => {
      const listeners = channels.get(channel);
      if (!listeners) return;
      for (const listener of [...listeners]) callSafely(listener, payload);
    });
    subscriber = connection;
    return connection;
  }

  return {
    async notify(channel, payload) {
      open();
      await publisher.publish(name(channel), payload);
    },
    async listen(channel, onMessage) {
      open();
      const full = name(channel);
      const listener = (payload: string): void => onMessage(payload);
      const connection = subscriberConnection();
      let listeners = channels.get(full);
      if (!listeners) {
        listeners = new Set();
        channels.set(full, listeners);
      }
      listeners.add(listener);
      const stop = async (): Promise<void> => {
        const current = channels.get(full);
        if (!current?.delete(listener) || current.size > 0) return;
        channels.delete(full);
        if (!closed) await connection.unsubscribe(full);
      };
      // Subscribing again is harmless, and waiting for it means a listen that follows an
      // unsubscribe on the same connection is in force when it resolves.
      try {
        await connection.subscribe(full);
      } catch (error) {
        await stop().catch(() => {});
        throw error;
      }
      return stop;
    },
    async close() {
      if (closed) return;
      closed = true;
      channels.clear();
      await Promise.all([closeRedis(publisher), subscriber && closeRedis(subscriber)]);
    },
  };
}
