import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { startGateway } from '../src/gateway.js';
import { createLogger } from '../src/observability/index.js';
import { eventually } from './support/collect.js';
import { FIXTURE_AGENTS } from './support/gateway.js';
import { freePort } from './support/process.js';
import { DATABASE_URL, skipReason, uniqueSchema } from './support/services.js';

/** A gateway on PostgreSQL at `databaseUrl`, its warnings kept in `warnings`. */
function startOn(databaseUrl: string, budgetMs: number, schema = uniqueSchema('connect')) {
  const warnings: { message: string; attempt?: number; retryInMs?: number }[] = [];
  const logger = createLogger({ level: 'warn', write: (line) => warnings.push(JSON.parse(line)) });
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    DATABASE_CONNECT_TIMEOUT_MS: String(budgetMs),
    AGENT_CARDS_DIR: FIXTURE_AGENTS,
  });
  const started = Date.now();
  const gateway = startGateway(config, logger).then(
    (running) => ({ running, error: undefined, afterMs: Date.now() - started }),
    (error: Error) => ({ running: undefined, error, afterMs: Date.now() - started }),
  );
  return { gateway, warnings, retries: () => warnings.filter((w) => w.retryInMs !== undefined) };
}

describe('start-up waits, bounded, for a PostgreSQL that is not up yet', () => {
  it('retries with backoff, logging each retry, then fails naming the budget', async () => {
    const port = await freePort(); // nothing listens there
    const { gateway, retries } = startOn(`postgres://postgres@127.0.0.1:${port}/test`, 1_500);
    const { error, afterMs } = await gateway;
    expect(error?.message).toMatch(
      new RegExp(
        `PostgreSQL at 127\\.0\\.0\\.1:${port}/test did not accept connections within 1\\.5 s`,
      ),
    );
    expect(error?.message).toContain('ECONNREFUSED');
    expect(error?.message).toContain('DATABASE_CONNECT_TIMEOUT_MS');
    expect(afterMs).toBeGreaterThanOrEqual(1_500);
    expect(afterMs).toBeLessThan(1_500 + 2_000);
    const waits = retries().map((retry) => retry.retryInMs!);
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(waits[1]!).toBeGreaterThan(waits[0]!); // backing off
  });

  describe.runIf(DATABASE_URL)(
    DATABASE_URL ? 'against a real PostgreSQL' : `(skipped: ${skipReason('DATABASE_URL')})`,
    () => {
      const admin = () => new pg.Client({ connectionString: DATABASE_URL });
      const schemas: string[] = [];
      let proxy: Server | undefined;
      const sockets = new Set<Socket>();
      afterAll(async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
        const client = admin();
        await client.connect();
        for (const schema of schemas) await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      });

      it('starts once a late PostgreSQL begins to accept connections', async () => {
        const target = new URL(DATABASE_URL!);
        const port = await freePort();
        const late = new URL(DATABASE_URL!);
        late.port = String(port);
        const schema = uniqueSchema('late');
        schemas.push(schema);
        const { gateway, retries } = startOn(late.toString(), 30_000, schema);
        await eventually(() => retries().length >= 1);

        // PostgreSQL "comes up": a TCP proxy to the real one starts listening on that port.
        proxy = createServer((client) => {
          const upstream = connect(Number(target.port || 5432), target.hostname);
          for (const socket of [client, upstream]) {
            sockets.add(socket);
            socket.on('error', () => {});
            socket.on('close', () => sockets.delete(socket));
          }
          client.pipe(upstream).pipe(client);
        });
        await new Promise<void>((resolve) => proxy!.listen(port, '127.0.0.1', resolve));

        const { running, error } = await gateway;
        expect(error).toBeUndefined();
        try {
          const health = await (await fetch(`${running!.url}/healthz`)).json();
          expect(health).toMatchObject({ status: 'ok', store: 'postgres' });
        } finally {
          await running!.stop();
        }
      });

      it('fails at once, saying so, when the database does not exist', async () => {
        const missing = new URL(DATABASE_URL!);
        missing.pathname = '/no_such_database_here';
        const { gateway, retries } = startOn(missing.toString(), 30_000);
        const { error, afterMs } = await gateway;
        expect(error?.message).toContain('database "no_such_database_here" does not exist');
        expect(error?.message).toContain('not retried');
        expect(afterMs).toBeLessThan(2_000);
        expect(retries()).toEqual([]);
      });
    },
  );
});
