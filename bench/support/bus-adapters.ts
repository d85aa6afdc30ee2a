/**
 * The adapters `bench:bus` knows: how to open each one's bus and its native reference in a
 * namespace of this run's own (schema, key prefix, stream prefix, queue prefix), and how to
 * remove everything made there. An adapter whose URL is unset is skipped with the reason.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connect as amqpConnect } from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import * as busModule from '../../src/bus/index.js';
import {
  type BusTransport,
  createMemoryTransport,
  createNatsTransport,
  createPostgresTransport,
  createRedisTransport,
  MemoryBroker,
} from '../../src/bus/index.js';
import { createPgClient, createPgliteClient } from '../../src/store/index.js';
import { amqpReference } from './bus-ref-amqp.js';
import { memoryReference } from './bus-ref-memory.js';
import { natsReference } from './bus-ref-nats.js';
import { redisReference } from './bus-ref-redis.js';
import { sqlReference } from './bus-ref-sql.js';
import { type BusSubjectOptions, busSubject, type Subject } from './bus-subject.js';

export interface AdapterRun {
  /** The bus over a fresh transport of this adapter, on `topic`. */
  bus(topic: string, options?: BusSubjectOptions): Promise<Subject>;
  /** The native client doing the bare queue operations, on a queue of its own for `topic`. */
  reference(topic: string): Promise<Subject>;
  /** Removes every schema, key, stream, queue or folder the run made. */
  cleanup(): Promise<void>;
}

export interface Adapter {
  name: 'memory' | 'pglite' | 'postgres' | 'redis' | 'nats' | 'amqp';
  /** Share of BENCH_BUS_N this adapter publishes per throughput phase: slower ones fewer. */
  scale: number;
  /** Why it is not run, when it is not. */
  skipped?: string;
  open(): Promise<AdapterRun>;
}

/** This run's namespace: unique, short (NATS prefixes are 32 characters at most), a name. */
const RUN = `${process.pid}${randomUUID().slice(0, 6)}`;

type AmqpFactory = (options: {
  url: string;
  prefix: string;
}) => Promise<BusTransport & { declared?(): { exchanges: string[]; queues: string[] } }>;

/** `createAmqpTransport` when the RabbitMQ adapter is part of this build, looked up by name. */
function amqpFactory(): AmqpFactory | undefined {
  const found = (busModule as Record<string, unknown>).createAmqpTransport;
  return typeof found === 'function' ? (found as AmqpFactory) : undefined;
}

function memory(): Adapter {
  return {
    name: 'memory',
    scale: 3,
    async open() {
      return {
        bus: async (topic, options) =>
          busSubject(createMemoryTransport(new MemoryBroker()), topic, options),
        reference: async () => memoryReference(),
        cleanup: async () => {},
      };
    },
  };
}

function pglite(): Adapter {
  return {
    name: 'pglite',
    scale: 0.15,
    async open() {
      const folder = await mkdtemp(join(tmpdir(), 'bench-bus-'));
      const db = await PGlite.create(folder);
      await db.exec('create schema bench_ref');
      const client = createPgliteClient(db, { owned: false });
      return {
        bus: async (topic, options) =>
          busSubject(
            await createPostgresTransport({ client, schema: 'bench_bus' }),
            topic,
            options,
          ),
        reference: (topic) =>
          sqlReference((text, values) => db.query(text, values), `bench_ref.q_${topic}`),
        async cleanup() {
          await db.close().catch(() => {});
          await rm(folder, { recursive: true, force: true });
        },
      };
    },
  };
}

function postgres(url: string | undefined): Adapter {
  return {
    name: 'postgres',
    scale: 0.4,
    ...(url ? {} : { skipped: 'DATABASE_URL is not set' }),
    async open() {
      const busSchema = `bench_bus_${RUN}`;
      const refSchema = `bench_ref_${RUN}`;
      const pool = new pg.Pool({ connectionString: url, max: 10 });
      await pool.query(`create schema ${refSchema}`);
      return {
        async bus(topic, options) {
          const client = createPgClient({ connectionString: url!, max: 10 });
          const transport = await createPostgresTransport({
            client,
            schema: busSchema,
            ownsClient: true,
          });
          return busSubject(transport, topic, options);
        },
        reference: (topic) =>
          sqlReference((text, values) => pool.query(text, values), `${refSchema}.q_${topic}`),
        async cleanup() {
          await pool.query(`drop schema if exists ${busSchema} cascade`);
          await pool.query(`drop schema if exists ${refSchema} cascade`);
          await pool.end();
        },
      };
    },
  };
}

function redis(url: string | undefined): Adapter {
  return {
    name: 'redis',
    scale: 1,
    ...(url ? {} : { skipped: 'REDIS_URL is not set' }),
    async open() {
      const prefix = `bench:bus:${RUN}`;
      return {
        bus: async (topic, options) =>
          busSubject(createRedisTransport({ url: url!, prefix: `${prefix}:bus` }), topic, options),
        reference: (topic) => redisReference(url!, `${prefix}:ref:${topic}`),
        cleanup: () => deleteRedisKeys(url!, prefix),
      };
    },
  };
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { protocol: 2 });
  try {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (found.length > 0) await redis.del(...found);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function nats(url: string | undefined): Adapter {
  return {
    name: 'nats',
    scale: 1,
    ...(url ? {} : { skipped: 'NATS_URL is not set' }),
    async open() {
      const prefix = `bench-${RUN}`;
      return {
        bus: async (topic, options) =>
          busSubject(await createNatsTransport({ servers: url!, prefix }), topic, options),
        reference: (topic) => natsReference(url!, `${prefix}_ref-${topic}`),
        cleanup: () => deleteNatsStreams(url!, `${prefix}_`),
      };
    },
  };
}

async function deleteNatsStreams(url: string, start: string): Promise<void> {
  const nc = await natsConnect({ servers: url.split(',').map((s) => s.trim()) });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.startsWith(start)) names.push(name);
    for (const name of names) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

function amqp(url: string | undefined): Adapter {
  const factory = amqpFactory();
  return {
    name: 'amqp',
    scale: 0.5,
    ...(!factory
      ? { skipped: 'no RabbitMQ adapter in this build (src/bus exports no createAmqpTransport)' }
      : url
        ? {}
        : { skipped: 'AMQP_URL is not set' }),
    async open() {
      const prefix = `bench.${RUN}`;
      const exchanges = new Set<string>();
      const queues = new Set<string>();
      const transports: Awaited<ReturnType<AmqpFactory>>[] = [];
      return {
        async bus(topic, options) {
          const transport = await factory!({ url: url!, prefix });
          transports.push(transport);
          return busSubject(transport, topic, options);
        },
        reference(topic) {
          queues.add(`${prefix}.ref.${topic}`);
          return amqpReference(url!, `${prefix}.ref.${topic}`);
        },
        async cleanup() {
          for (const transport of transports) {
            await transport.close().catch(() => {});
            const declared = transport.declared?.();
            if (!declared) {
              process.stderr.write(
                `… amqp: the transport lists no declared queues: remove ${prefix}.* by hand\n`,
              );
            }
            for (const name of declared?.exchanges ?? []) exchanges.add(name);
            for (const name of declared?.queues ?? []) queues.add(name);
          }
          const connection = await amqpConnect(url!);
          try {
            const channel = await connection.createChannel();
            for (const name of queues) await channel.deleteQueue(name);
            for (const name of exchanges) await channel.deleteExchange(name);
          } finally {
            await connection.close();
          }
        },
      };
    },
  };
}

/** Every adapter, in the order they run; `only` (names) narrows them. */
export function adapters(only: readonly string[] | undefined): Adapter[] {
  const all = [
    memory(),
    pglite(),
    postgres(process.env.DATABASE_URL),
    redis(process.env.REDIS_URL),
    nats(process.env.NATS_URL),
    amqp(process.env.AMQP_URL),
  ];
  return only ? all.filter((adapter) => only.includes(adapter.name)) : all;
}
