import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import {
  createMemoryEventStore,
  createPgliteEventStore,
  createPostgresEventStore,
  type EventStore,
} from '../../src/store/index.js';
import { DATABASE_URL, suiteTitle, uniqueSchema } from '../support/services.js';
import {
  eventStoreContract,
  type StoreHarness,
  type StoreOptions,
} from './event-store.contract.js';

eventStoreContract('memory', {
  create: async (options) => createMemoryEventStore(options),
});

/** SQL adapters get a schema per store: isolation without a database per test. */
function poisonTrigger(schema: string, type: string): string {
  return `create function ${schema}.poison() returns trigger language plpgsql as $$
    begin
      if new.type = '${type}' then raise exception 'injected failure for %', new.type; end if;
      return new;
    end $$;
    create trigger poison before insert on ${schema}.es_events
      for each row execute function ${schema}.poison();`;
}

describe('PGlite', () => {
  let db: PGlite;
  let folder: string;
  const schemas = new WeakMap<EventStore, string>();
  beforeAll(async () => {
    // One embedded database for the file (start-up costs seconds), on disk like production.
    folder = await mkdtemp(join(tmpdir(), 'es-contract-'));
    db = await PGlite.create(folder);
  });
  afterAll(async () => {
    await db?.close();
    await rm(folder, { recursive: true, force: true });
  });

  eventStoreContract(
    'PGlite',
    ((): StoreHarness => {
      const open = async (schema: string, options?: StoreOptions) => {
        const store = await createPgliteEventStore({ pglite: db, schema, ...options });
        schemas.set(store, schema);
        return store;
      };
      return {
        create: (options) => open(uniqueSchema('pglite'), options),
        async reopen(store, options) {
          await store.close();
          return open(schemas.get(store)!, options);
        },
        async failInsertsOfType(store, type) {
          await db.exec(poisonTrigger(schemas.get(store)!, type));
        },
      };
    })(),
  );
});

describe.skipIf(!DATABASE_URL)(suiteTitle('PostgreSQL', 'DATABASE_URL'), () => {
  let admin: pg.Pool;
  const schemas = new WeakMap<EventStore, string>();
  const created: string[] = [];
  beforeAll(() => {
    admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  });
  afterAll(async () => {
    for (const schema of created) await admin.query(`drop schema if exists ${schema} cascade`);
    await admin?.end();
  });

  eventStoreContract(
    'PostgreSQL',
    ((): StoreHarness => {
      const open = async (schema: string, options?: StoreOptions) => {
        const store = await createPostgresEventStore({
          connectionString: DATABASE_URL!,
          schema,
          max: 10,
          ...options,
        });
        schemas.set(store, schema);
        return store;
      };
      return {
        async create(options) {
          const schema = uniqueSchema('pgsql');
          created.push(schema);
          return open(schema, options);
        },
        async reopen(store, options) {
          await store.close();
          return open(schemas.get(store)!, options);
        },
        async failInsertsOfType(store, type) {
          await admin.query(poisonTrigger(schemas.get(store)!, type));
        },
      };
    })(),
  );
});
