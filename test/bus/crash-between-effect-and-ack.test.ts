import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createBus, createRedisTransport } from '../../src/bus/index.js';
import { createLogger } from '../../src/observability/index.js';
import { createPostgresEventStore } from '../../src/store/index.js';
import { eventually } from '../support/collect.js';
import { runProcess } from '../support/process.js';
import { deletePrefix, uniquePrefix } from '../support/redis.js';
import { DATABASE_URL, suiteTitle, uniqueSchema } from '../support/services.js';

const REDIS_URL = process.env.REDIS_URL;
const ready = Boolean(DATABASE_URL && REDIS_URL);
const title = suiteTitle(
  suiteTitle('a consumer killed between its effect and its ack', 'DATABASE_URL'),
  'REDIS_URL',
);

describe.skipIf(!ready)(title, () => {
  const schema = uniqueSchema('crash');
  const prefix = uniquePrefix('crash');
  afterAll(async () => {
    if (!ready) return;
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
    await deletePrefix(REDIS_URL!, prefix);
  });

  it('gets the message again and never repeats the effect', async () => {
    const env = {
      DATABASE_URL: DATABASE_URL!,
      REDIS_URL: REDIS_URL!,
      CRASH_SCHEMA: schema,
      CRASH_PREFIX: prefix,
    };
    const script = ['--import', 'tsx', 'test/bus/support/crash-consumer.ts'];
    const first = runProcess(process.execPath, script, { ...env, CRASH_AFTER_EFFECT: '1' });
    await eventually(() => first.output().includes('ready'), 30_000);

    const store = await createPostgresEventStore({
      connectionString: DATABASE_URL!,
      schema,
      max: 2,
    });
    const publisher = createBus(createRedisTransport({ url: REDIS_URL!, prefix }), {
      store,
      log: createLogger({ level: 'silent' }),
    });
    try {
      const { id } = await publisher.publish({ topic: 'orders', payload: { order: 'o-1' } });
      expect(await first.exited).toBeNull();
      expect(first.child.signalCode).toBe('SIGKILL');
      expect(first.output()).toContain(`applied ${id} attempt 1`);

      const second = runProcess(process.execPath, script, env);
      try {
        await eventually(() => second.output().includes(`applied ${id} attempt 2`), 30_000);
        await eventually(async () => (await publisher.depth('orders', 'billing')) === 0, 10_000);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
      const effects = await store.readStream('effects');
      expect(effects.map((e) => e.data)).toEqual([{ order: 'o-1', attempt: 1 }]);
    } finally {
      await publisher.close(1_000);
      await store.close();
    }
  });
});
