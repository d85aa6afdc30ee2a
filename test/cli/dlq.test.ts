import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBus,
  createPostgresTransport,
  type GatewayBus,
  PermanentFailure,
} from '../../src/bus/index.js';
import { createGatewayRegistry } from '../../src/gateway-registry.js';
import { createLogger } from '../../src/observability/index.js';
import {
  createPgClient,
  createPostgresEventStore,
  type EventStore,
} from '../../src/store/index.js';
import { eventually } from '../support/collect.js';
import { runProcess } from '../support/process.js';
import { DATABASE_URL, suiteTitle, uniqueSchema } from '../support/services.js';

describe.skipIf(!DATABASE_URL)(
  suiteTitle('npm run cli -- dlq, on PostgreSQL', 'DATABASE_URL'),
  () => {
    const schema = uniqueSchema('dlq_cli');
    let store: EventStore;
    let bus: GatewayBus;
    let healthy = false;
    const handled: string[] = [];

    const cli = async (...args: string[]) => {
      const run = runProcess(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'dlq', ...args],
        {
          DATABASE_URL: DATABASE_URL!,
          DATABASE_SCHEMA: schema,
          BUS: 'database',
          LOG_LEVEL: 'warn',
        },
      );
      return { code: await run.exited, output: run.output() };
    };

    beforeAll(async () => {
      store = await createPostgresEventStore({
        connectionString: DATABASE_URL!,
        schema,
        registry: createGatewayRegistry(),
        max: 4,
      });
      const client = createPgClient({ connectionString: DATABASE_URL!, max: 4 });
      const transport = await createPostgresTransport({ client, schema, ownsClient: true });
      bus = createBus(transport, { store, log: createLogger({ level: 'silent' }) });
      await bus.subscribe<string>(
        'push.deliver',
        async (m) => {
          if (!healthy) throw new PermanentFailure('410 Gone');
          handled.push(m.payload);
        },
        { group: 'push' },
      );
    });
    afterAll(async () => {
      await bus?.close(1_000);
      await store?.close();
      const client = createPgClient({ connectionString: DATABASE_URL!, max: 1 });
      await client.exec(`drop schema if exists ${schema} cascade`);
      await client.close();
    });

    it('lists a dead letter, retries it through the queue, and refuses what it cannot do', {
      timeout: 180_000,
    }, async () => {
      const { id } = await bus.publish({ topic: 'push.deliver', payload: 'hello' });
      const entryId = `push:${id}`;
      await eventually(
        async () => (await bus.deadLetters.get(entryId))?.state === 'permanent_failure',
        10_000,
      );

      const table = await cli('list');
      expect(table.output).toMatch(
        new RegExp(`${entryId}\\s+permanent_failure\\s+push\\.deliver\\s+1`),
      );
      const listed = await cli('list', '--json', '--topic', 'push.deliver');
      expect(JSON.parse(listed.output)).toMatchObject([
        { id: entryId, lastError: 'PermanentFailure: 410 Gone' },
      ]);

      healthy = true;
      const retried = await cli('retry', entryId);
      expect(retried.output).toContain('retried 1');
      expect(retried.code).toBe(0);
      await eventually(() => handled.includes('hello'), 10_000);
      await eventually(
        async () => (await bus.deadLetters.get(entryId))?.state === 'resolved',
        10_000,
      );

      const refused = await cli('retry', entryId);
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/is resolved: only a permanent failure can be retried/);
      const missing = await cli('retry');
      expect(missing.output).toMatch(/name entries to retry, or pass --all/);
      expect((await cli('purge', entryId)).output).toContain('purged 1');
      expect((await cli('list', '--state', 'purged', '--json')).output).toContain(entryId);
    });
  },
);
