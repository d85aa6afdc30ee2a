import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe } from 'vitest';
import type { EventRegistry } from '../../src/events/index.js';
import {
  createEncryptingStore,
  createSqlTenantKeys,
  type TenantKeys,
} from '../../src/privacy/index.js';
import { createMemoryEventStore, createPgliteClient } from '../../src/store/index.js';
import { eventStoreContract } from '../contract/event-store.contract.js';
import { uniqueSchema } from '../support/services.js';

/**
 * The registry the suite passes (or, when it passes none, one that takes every type, as a
 * store without a registry does), with the payload fields the suite writes (`n`, `name`,
 * `ok`) declared personal data: so the whole contract runs through encryption and back.
 */
function encryptingEverything(registry: EventRegistry | undefined): EventRegistry {
  const paths = ['n', 'name', 'ok'];
  const wrapper: EventRegistry = {
    register: (definition) => {
      registry?.register(definition);
      return wrapper;
    },
    latestVersion: (type) => registry?.latestVersion(type),
    validate: (type, version, data) => (registry ? registry.validate(type, version, data) : data),
    upcast: (type, version, data) =>
      registry ? registry.upcast(type, version, data) : { version, data },
    definitions: () => registry?.definitions() ?? new Map(),
    sensitivePaths: () => paths,
  };
  return wrapper;
}

describe('the encrypting store passes the EventStore contract', () => {
  let db: PGlite;
  let keys: TenantKeys;
  beforeAll(async () => {
    db = await PGlite.create();
    keys = await createSqlTenantKeys(createPgliteClient(db, { owned: false }), {
      schema: uniqueSchema('keys'),
      masterKey: randomBytes(32),
    });
  });
  afterAll(async () => {
    await keys?.close();
    await db?.close();
  });

  eventStoreContract('memory, personal data encrypted', {
    create: async (options = {}) =>
      createEncryptingStore(
        createMemoryEventStore({ ...(options.now ? { now: options.now } : {}) }),
        { keys, registry: encryptingEverything(options.registry) },
      ),
  });
});
