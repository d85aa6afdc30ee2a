import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createMemoryNotifier, createRedisNotifier, type Notifier } from '../../src/bus/index.js';
import { eventually } from '../support/collect.js';
import { REDIS_URL, uniquePrefix } from '../support/redis.js';
import { suiteTitle } from '../support/services.js';

/** What every notifier does, whoever carries the notifications. */
function notifierBehaviour(create: () => Notifier): void {
  const open: Notifier[] = [];
  afterEach(async () => {
    for (const notifier of open.splice(0)) await notifier.close();
  });
  const make = (): Notifier => {
    const notifier = create();
    open.push(notifier);
    return notifier;
  };

  it('hands a listener what is sent on its channel, in order, and nothing of other channels', async () => {
    const notifier = make();
    const heard: string[] = [];
    const other: string[] = [];
    await notifier.listen('tasks', (payload) => heard.push(payload));
    await notifier.listen('other', (payload) => other.push(payload));
    for (const n of [1, 2, 3]) await notifier.notify('tasks', `n${n}`);
    await notifier.notify('other', 'marker');
    await eventually(() => other.length === 1, 5_000);
    await eventually(() => heard.length === 3, 5_000);
    expect(heard).toEqual(['n1', 'n2', 'n3']);
    expect(other).toEqual(['marker']);
  });

  it('stops one listener and keeps the others on the same channel', async () => {
    const notifier = make();
    const stopped: string[] = [];
    const kept: string[] = [];
    const stop = await notifier.listen('wake', (payload) => stopped.push(payload));
    await notifier.listen('wake', (payload) => kept.push(payload));
    await notifier.notify('wake', 'first');
    await eventually(() => stopped.length === 1 && kept.length === 1, 5_000);
    await stop();
    await notifier.notify('wake', 'second');
    await eventually(() => kept.length === 2, 5_000);
    expect(stopped).toEqual(['first']);
    expect(kept).toEqual(['first', 'second']);
  });

  it('hears again after the last listener of a channel stopped and a new one started', async () => {
    const notifier = make();
    const stop = await notifier.listen('again', () => {});
    await stop();
    const heard: string[] = [];
    await notifier.listen('again', (payload) => heard.push(payload));
    await notifier.notify('again', 'back');
    await eventually(() => heard.length === 1, 5_000);
    expect(heard).toEqual(['back']);
  });

  it('keeps delivering to other listeners when one throws', async () => {
    const notifier = make();
    const heard: string[] = [];
    await notifier.listen('faulty', () => {
      throw new Error('listener failed');
    });
    await notifier.listen('faulty', (payload) => heard.push(payload));
    await notifier.notify('faulty', 'one');
    await notifier.notify('faulty', 'two');
    await eventually(() => heard.length === 2, 5_000);
    expect(heard).toEqual(['one', 'two']);
  });

  it('refuses to notify or listen once closed', async () => {
    const notifier = create();
    await notifier.close();
    await expect(notifier.notify('late', 'x')).rejects.toThrow(/closed/);
    await expect(notifier.listen('late', () => {})).rejects.toThrow(/closed/);
  });
}

describe('memory notifier', () => {
  notifierBehaviour(() => createMemoryNotifier());
});

describe.skipIf(!REDIS_URL)(suiteTitle('Redis notifier', 'REDIS_URL'), () => {
  const url = REDIS_URL ?? '';
  const prefix = uniquePrefix('notifier');
  notifierBehaviour(() => createRedisNotifier({ url, prefix }));

  const open: Notifier[] = [];
  const raw: Redis[] = [];
  afterAll(async () => {
    for (const notifier of open) await notifier.close();
    for (const connection of raw) connection.disconnect();
  });

  it('reaches another instance with the same prefix', async () => {
    const sender = createRedisNotifier({ url, prefix });
    const receiver = createRedisNotifier({ url, prefix });
    open.push(sender, receiver);
    const heard: string[] = [];
    await receiver.listen('instances', (payload) => heard.push(payload));
    await sender.notify('instances', '{"task":"t-1"}');
    await eventually(() => heard.length === 1, 5_000);
    expect(heard).toEqual(['{"task":"t-1"}']);
  });

  it('does not hear a channel of the same name under another prefix', async () => {
    const listener = createRedisNotifier({ url, prefix });
    open.push(listener);
    const heard: string[] = [];
    await listener.listen('shared-name', (payload) => heard.push(`shared:${payload}`));
    await listener.listen('marker', (payload) => heard.push(`marker:${payload}`));
    // One raw publisher: Redis hands one connection's messages over in the order sent, so the
    // marker arriving proves the other prefix's message would have arrived before it.
    const publisher = new Redis(url, { protocol: 2 });
    raw.push(publisher);
    await publisher.publish(`${uniquePrefix('elsewhere')}:shared-name`, 'foreign');
    await publisher.publish(`${prefix}:marker`, 'done');
    await eventually(() => heard.includes('marker:done'), 5_000);
    expect(heard).toEqual(['marker:done']);
  });
});
