import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { type BusTransport, createPostgresTransport } from '../../src/bus/index.js';
import { createPgClient, createPgliteClient } from '../../src/store/index.js';
import { DATABASE_URL, suiteTitle, uniqueSchema } from '../support/services.js';
import { busTransportContract } from './bus-transport.contract.js';

describe('PGlite', () => {
  let db: PGlite;
  let folder: string;
  const schemas = new WeakMap<BusTransport, string>();
  beforeAll(async () => {
    // One embedded database for the file (start-up costs seconds), on disk like production.
    folder = await mkdtemp(join(tmpdir(), 'bus-contract-'));
    db = await PGlite.create(folder);
  });
  afterAll(async () => {
    await db?.close();
    await rm(folder, { recursive: true, force: true });
  });

  const open = async (schema: string) => {
    const client = createPgliteClient(db, { owned: false });
    const transport = await createPostgresTransport({ client, schema });
    schemas.set(transport, schema);
    return transport;
  };
  busTransportContract('PostgreSQL adapter on PGlite', {
    queuePriority: true,
    create: () => open(uniqueSchema('bus_pglite')),
    // The contract closed it already.
    reopen: (transport) => open(schemas.get(transport)!),
  });
});

describe.skipIf(!DATABASE_URL)(suiteTitle('PostgreSQL', 'DATABASE_URL'), () => {
  let admin: pg.Pool;
  const schemas = new WeakMap<BusTransport, string>();
  const created: string[] = [];
  beforeAll(() => {
    admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  });
  afterAll(async () => {
    for (const schema of created) await admin.query(`drop schema if exists ${schema} cascade`);
    await admin?.end();
  });

  // A client per transport, owned by it: a reopen is a new process's connections.
  const open = async (schema: string) => {
    const client = createPgClient({ connectionString: DATABASE_URL!, max: 4 });
    const transport = await createPostgresTransport({ client, schema, ownsClient: true });
    schemas.set(transport, schema);
    return transport;
  };
  busTransportContract('PostgreSQL adapter', {
    queuePriority: true,
    async create() {
      const schema = uniqueSchema('bus_pgsql');
      created.push(schema);
      return open(schema);
    },
    reopen: (transport) => open(schemas.get(transport)!),
  });
});
