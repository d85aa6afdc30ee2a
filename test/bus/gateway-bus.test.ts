import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { connect } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import type { AmqpTransport, BusMessage, GatewayBus } from '../../src/bus/index.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { openGatewayBus } from '../../src/gateway-bus.js';
import { createGatewayRegistry } from '../../src/gateway-registry.js';
import { createLogger } from '../../src/observability/index.js';
import { createMemoryEventStore, createPgliteClient } from '../../src/store/index.js';
import { eventually } from '../support/collect.js';
import { deleteNatsStreams, natsPrefixes } from '../support/nats-bus.js';
import { deletePrefix } from '../support/redis.js';
import { isCI } from '../support/services.js';

const SERVICES = {
  redis: process.env.REDIS_URL,
  nats: process.env.NATS_URL,
  amqp: process.env.AMQP_URL,
} as const;

/** What BUS=… builds, from the environment as the gateway reads it, round trip included. */
describe('the bus the configuration asks for', { timeout: 120_000 }, () => {
  const logger = createLogger({ level: 'silent' });
  const pglite = new PGlite();
  const views = createPgliteClient(pglite, { owned: false });
  // Valid for every adapter (BUS_PREFIX), and unique to this run so cleanup finds only ours.
  const prefixes = natsPrefixes();
  const prefix = prefixes.next();
  const amqpDeclared: { exchanges: string[]; queues: string[] }[] = [];
  afterAll(async () => {
    await pglite.close();
    if (SERVICES.redis) await deletePrefix(SERVICES.redis, prefix);
    if (SERVICES.nats) await deleteNatsStreams(SERVICES.nats, prefixes.root);
    if (SERVICES.amqp && amqpDeclared.length > 0) {
      const connection = await connect(SERVICES.amqp);
      const channel = await connection.createChannel();
      for (const { queues, exchanges } of amqpDeclared) {
        for (const queue of queues) await channel.deleteQueue(queue);
        for (const exchange of exchanges) await channel.deleteExchange(exchange);
      }
      await connection.close();
    }
  });

  async function roundTrip(env: Record<string, string>): Promise<GatewayBus> {
    const config = loadConfig({ BUS_PREFIX: prefix, DATABASE_SCHEMA: 'gwbus', ...env });
    const store = createMemoryEventStore({ registry: createGatewayRegistry() });
    const bus = await openGatewayBus(config, { store, views, logger, instance: 'test' });
    try {
      const got: BusMessage[] = [];
      const topic = `check.${randomUUID().slice(0, 8)}`;
      await bus.subscribe(topic, async (m) => void got.push(m), { group: 'g' });
      await bus.publish({ topic, payload: { hello: env.BUS } });
      await eventually(() => got.length === 1, 15_000);
      expect(got[0]?.payload).toEqual({ hello: env.BUS });
      expect((await bus.health()).ok).toBe(true);
      return bus;
    } finally {
      if (bus.kind === 'amqp') amqpDeclared.push((bus.transport as AmqpTransport).declared());
      await bus.close(1_000);
    }
  }

  it('defaults to a queue in the store’s own database', async () => {
    expect((await roundTrip({})).kind).toBe('postgres');
  });

  it('runs in-process with BUS=memory', async () => {
    expect((await roundTrip({ BUS: 'memory' })).kind).toBe('memory');
  });

  for (const [bus, url] of Object.entries(SERVICES)) {
    const variable = `${bus.toUpperCase()}_URL`;
    it.skipIf(!url && !isCI())(`connects to ${bus} with BUS=${bus} and ${variable}`, async () => {
      if (!url) throw new Error(`CI must not skip: ${variable} is not set`);
      expect((await roundTrip({ BUS: bus, [variable]: url })).kind).toBe(bus);
    });
  }

  it('routes by BUS_ROUTES with BUS=composite', async () => {
    const routes = { routes: [{ topics: ['check.*'], adapter: 'memory' }], default: 'database' };
    const bus = await roundTrip({ BUS: 'composite', BUS_ROUTES: JSON.stringify(routes) });
    expect(bus.kind).toBe('composite');
  });

  it('names the setting that is wrong', async () => {
    expect(() => loadConfig({ BUS: 'redis' })).toThrow(ConfigError);
    expect(() => loadConfig({ BUS: 'redis' })).toThrow(/REDIS_URL: BUS=redis needs REDIS_URL/);
    expect(() => loadConfig({ BUS: 'composite' })).toThrow(/BUS_ROUTES/);
    expect(() => loadConfig({ BUS_PREFIX: 'Has Spaces' })).toThrow(/BUS_PREFIX/);
    const store = createMemoryEventStore();
    const open = (routes: string) =>
      openGatewayBus(loadConfig({ BUS: 'composite', BUS_ROUTES: routes }), {
        store,
        views,
        logger,
        instance: 'test',
      });
    await expect(open('{not json')).rejects.toThrow(/BUS_ROUTES is not JSON/);
    await expect(open('{"default":"kafka"}')).rejects.toThrow(/BUS_ROUTES names the adapter kafka/);
    await expect(open('{"routes":[{"topics":[]}],"default":"memory"}')).rejects.toThrow(
      /BUS_ROUTES: routes\.0\.topics/,
    );
  });
});
