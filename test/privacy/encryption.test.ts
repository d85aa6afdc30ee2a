import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../../src/events/index.js';
import { createGatewayRegistry } from '../../src/gateway-registry.js';
import {
  createEncryptingStore,
  createSqlTenantKeys,
  isEncrypted,
  parseMasterKey,
  type TenantKeys,
} from '../../src/privacy/index.js';
import {
  createPgClient,
  createPgliteClient,
  createPgliteEventStore,
  createPostgresEventStore,
  type EventStore,
  type SqlClient,
} from '../../src/store/index.js';
import {
  createTaskCommands,
  foldAll,
  type TaskCommand,
  taskStreamId,
} from '../../src/tasks/index.js';
import { eventually, take } from '../support/collect.js';
import { DATABASE_URL, suiteTitle, uniqueSchema } from '../support/services.js';
import { aContext, aSubmit } from '../support/task-builders.js';
import { AT, aMessage } from '../support/task-spec.js';

const SECRET = 'my card number is 4111 1111 1111 1111';

/** A task.submitted payload as read back, its fields plaintext or redaction markers. */
interface SubmittedData {
  taskId: string;
  message: { messageId: string; parts: Record<string, unknown>[]; metadata?: unknown };
  metadata?: unknown;
}

/** A task's submission holding personal data in text, structured data and metadata. */
function submission(taskId: string, tenant: string | undefined): NewEvent {
  return {
    id: randomUUID(),
    type: 'task.submitted',
    correlationId: `corr-${taskId}`,
    metadata: tenant ? { tenant } : {},
    data: {
      taskId,
      contextId: `ctx-${taskId}`,
      agent: 'echo',
      message: {
        messageId: `m-${taskId}`,
        role: 'ROLE_USER',
        parts: [{ text: SECRET }, { data: { ssn: '078-05-1120' }, mediaType: 'application/json' }],
        metadata: { email: 'ada@example.com' },
      },
      metadata: { customer: 'Ada Lovelace' },
    },
  };
}

const working = (tenant?: string): NewEvent => ({
  type: 'task.status_changed',
  metadata: tenant ? { tenant } : {},
  data: { status: { state: 'TASK_STATE_WORKING', timestamp: AT } },
});

interface Setup {
  /** The encrypting store, as the gateway wires it. */
  store: EventStore;
  /** The same storage without the encrypting layer: what the database holds. */
  raw: EventStore;
  keys: TenantKeys;
  client: SqlClient;
  schema: string;
  /** Another process on the same database: its own store, keys and caches. */
  another(): Promise<Omit<Setup, 'another'>>;
}

interface Backend {
  open(schema: string): Promise<{ inner: EventStore; client: SqlClient }>;
}

function encryptionSuite(name: string, backend: () => Backend): void {
  describe(`PII encryption on ${name}`, () => {
    const registry = createGatewayRegistry();
    const masterKey = randomBytes(32);
    const opened: { store: EventStore; keys: TenantKeys; client: SqlClient }[] = [];

    async function openSetup(schema: string): Promise<Omit<Setup, 'another'>> {
      const { inner, client } = await backend().open(schema);
      const keys = await createSqlTenantKeys(client, { schema, masterKey });
      const store = createEncryptingStore(inner, { keys, registry });
      opened.push({ store, keys, client });
      return { store, raw: inner, keys, client, schema };
    }
    async function setup(): Promise<Setup> {
      const schema = uniqueSchema('pii');
      const first = await openSetup(schema);
      return { ...first, another: () => openSetup(schema) };
    }
    afterAll(async () => {
      for (const { store, keys, client } of opened.reverse()) {
        await keys.close();
        await store.close();
        await client.close();
      }
    });

    it('stores personal data as ciphertext and reads it back on every read path', async () => {
      const { store, raw } = await setup();
      const input = submission('t-1', 'acme');
      const appended = await store.append(taskStreamId('t-1'), [input, working('acme')]);
      expect(appended.events[0]!.data).toEqual(input.data);

      const [stored] = await raw.readStream(taskStreamId('t-1'));
      const data = stored!.data as {
        taskId: string;
        message: { messageId: string; role: string; parts: Record<string, unknown>[] };
        metadata: unknown;
      };
      expect(JSON.stringify(stored)).not.toContain('4111');
      expect(JSON.stringify(stored)).not.toContain('Ada');
      expect(isEncrypted(data.message.parts[0]!.text)).toBe(true);
      expect(isEncrypted(data.message.parts[1]!.data)).toBe(true);
      expect(isEncrypted(data.metadata)).toBe(true);
      // The skeleton stays readable: ids, role, media type, agent.
      expect(data.taskId).toBe('t-1');
      expect(data.message.messageId).toBe('m-t-1');
      expect(data.message.role).toBe('ROLE_USER');
      expect(data.message.parts[1]!.mediaType).toBe('application/json');

      const plain = (events: StoredEvent[]) =>
        events.find((e) => e.type === 'task.submitted')!.data;
      expect(plain(await store.readStream(taskStreamId('t-1')))).toEqual(input.data);
      expect(plain((await store.readAll()).events)).toEqual(input.data);
      expect(plain((await store.readByCorrelation('corr-t-1')).events)).toEqual(input.data);
      const range = { from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) };
      expect(plain((await store.readByTime(range)).events)).toEqual(input.data);
      expect(plain(await take(store.subscribe({ from: 'start' }), 2))).toEqual(input.data);
      expect(plain(await take(store.subscribeToStream(taskStreamId('t-1')), 2))).toEqual(
        input.data,
      );
    });

    it('delivers live events opened, to a subscriber that batches with takeReady', async () => {
      const { store } = await setup();
      const subscription = store.subscribe({ from: 'end' });
      await subscription.ready;
      const input = submission('t-live', 'acme');
      await store.append(taskStreamId('t-live'), [input, working('acme'), working('acme')]);
      const iterator = subscription[Symbol.asyncIterator]();
      const first = await iterator.next();
      const events = [first.value as StoredEvent];
      await eventually(() => {
        events.push(...subscription.takeReady(10));
        return events.length === 3;
      });
      subscription.close();
      expect(events[0]!.data).toEqual(input.data);
      expect(events.map((e) => e.type)).toEqual([
        'task.submitted',
        'task.status_changed',
        'task.status_changed',
      ]);
    });

    it('encrypts each tenant under its own key, and events of no tenant under the default key', async () => {
      const { raw, store } = await setup();
      await store.append('task-a', [submission('a', 'acme')]);
      await store.append('task-g', [submission('g', 'globex')]);
      await store.append('task-d', [submission('d', undefined)]);
      const kidOf = async (streamId: string) => {
        const [event] = await raw.readStream(streamId);
        return (event!.data as { metadata: { kid: string } }).metadata.kid;
      };
      const kids = await Promise.all(['task-a', 'task-g', 'task-d'].map(kidOf));
      expect(new Set(kids).size).toBe(3);
      expect((await store.readStream('task-d'))[0]!.data).toEqual(submission('d', undefined).data);
    });

    it('keeps appends idempotent: a retried batch and retried commands write nothing new', async () => {
      const { store } = await setup();
      const batch = [submission('t-2', 'acme'), { ...working('acme'), id: randomUUID() }];
      const first = await store.append(taskStreamId('t-2'), batch);
      // The retry encrypts with fresh IVs: other ciphertext, same ids.
      const retry = await store.append(taskStreamId('t-2'), batch);
      expect(retry.alreadyAppended).toBe(true);
      expect(retry.positions).toEqual(first.positions);
      expect(await store.readStream(taskStreamId('t-2'))).toHaveLength(2);

      // The command handler's retry paths: a resubmitted task, a re-sent follow-up message.
      const context = aContext({ tenant: 'acme' });
      const followUp: TaskCommand = {
        type: 'ReceiveMessage',
        message: aMessage({ messageId: 'm-2', parts: [{ text: 'my address is 1 Main St' }] }),
        at: AT,
      };
      await createTaskCommands(store).handle(
        't-3',
        [aSubmit({ taskId: 't-3' }), { type: 'RequireInput', at: AT }, followUp],
        context,
      );
      const again = createTaskCommands(store);
      expect((await again.handle('t-3', aSubmit({ taskId: 't-3' }), context)).changed).toBe(false);
      const resent = await createTaskCommands(store).handle('t-3', followUp, context);
      expect(resent.changed).toBe(false);
      const types = (await store.readStream(taskStreamId('t-3'))).map((e) => e.type);
      expect(types.filter((type) => type === 'task.message_received')).toHaveLength(1);
    });

    it('shredding a tenant leaves its events readable with personal data redacted', async () => {
      const { store, keys, another } = await setup();
      await store.append(taskStreamId('t-4'), [submission('t-4', 'acme'), working('acme')]);
      await store.append(taskStreamId('t-5'), [submission('t-5', 'globex')]);
      const other = await another();
      // The other process has the key in memory before the shred.
      expect((await other.store.readStream(taskStreamId('t-4')))[0]!.data).toEqual(
        submission('t-4', 'acme').data,
      );

      expect(await keys.shred('acme')).toBe(1);

      for (const reader of [store, other.store]) {
        await eventually(async () => {
          const [event] = await reader.readStream(taskStreamId('t-4'));
          return JSON.stringify(event!.data).includes('shredded');
        });
        const events = await reader.readStream(taskStreamId('t-4'));
        expect(events.map((e) => e.type)).toEqual(['task.submitted', 'task.status_changed']);
        const data = events[0]!.data as SubmittedData;
        expect(data.taskId).toBe('t-4');
        expect(data.message.messageId).toBe('m-t-4');
        expect(data.message.parts[0]!.text).toEqual({ $redacted: 'shredded' });
        expect(data.message.parts[1]!.data).toEqual({ $redacted: 'shredded' });
        expect(data.message.metadata).toEqual({ $redacted: 'shredded' });
        expect(data.metadata).toEqual({ $redacted: 'shredded' });
        expect(events[1]!.data).toEqual(working().data);
        expect(JSON.stringify(events)).not.toContain('4111');
        // Every read path, the subscriptions too.
        const all = (await reader.readAll({ tenant: 'acme' })).events;
        expect(JSON.stringify(all)).toContain('shredded');
        const followed = await take(reader.subscribeToStream(taskStreamId('t-4')), 2);
        expect(JSON.stringify(followed)).not.toContain('4111');
        // A fold of the redacted events still works: the audit skeleton.
        const task = foldAll(undefined, events)!;
        expect(task.status.state).toBe('TASK_STATE_WORKING');
        // Another tenant is untouched.
        expect((await reader.readStream(taskStreamId('t-5')))[0]!.data).toEqual(
          submission('t-5', 'globex').data,
        );
      }

      // The tenant goes on with a new key: what it says from now on is readable again.
      const later = submission('t-6', 'acme');
      await store.append(taskStreamId('t-6'), [later]);
      expect((await other.store.readStream(taskStreamId('t-6')))[0]!.data).toEqual(later.data);
      expect(await keys.shred('nobody')).toBe(0);
    });

    it('tells every instance of a shred, which forgets the key it held', async () => {
      const { keys, another } = await setup();
      const other = await another();
      await keys.keyFor('acme');
      await other.keys.keyFor('acme');
      const heard: string[] = [];
      other.keys.onShred((tenant) => heard.push(tenant));
      await keys.shred('acme');
      await eventually(() => heard.includes('acme'));
      expect(other.keys.cachedKeyFor('acme')).toBeUndefined();
    });

    it('encrypts snapshots, and a snapshot whose key is shredded is not found', async () => {
      const { store, raw, keys } = await setup();
      await store.append(taskStreamId('t-7'), [submission('t-7', 'acme')]);
      const state = { id: 't-7', history: [{ parts: [{ text: SECRET }] }] };
      await store.saveSnapshot(taskStreamId('t-7'), 1, state);
      const stored = await raw.loadSnapshot(taskStreamId('t-7'));
      expect(isEncrypted(stored!.state)).toBe(true);
      expect((await store.loadSnapshot(taskStreamId('t-7')))!.state).toEqual(state);
      await keys.shred('acme');
      expect(await store.loadSnapshot(taskStreamId('t-7'))).toBeUndefined();
    });

    it('reads an altered ciphertext as unreadable, not as an error', async () => {
      const { store, client, schema } = await setup();
      await store.append(taskStreamId('t-8'), [submission('t-8', 'acme')]);
      // Someone with database access swaps the text's ciphertext for the metadata's.
      await client.query({
        text: `update ${schema}.es_events set data = jsonb_set(data, '{message,parts,0,text,ct}',
          data #> '{metadata,ct}') where stream_id = $1`,
        values: [taskStreamId('t-8')],
      });
      const [event] = await store.readStream(taskStreamId('t-8'));
      const data = event!.data as SubmittedData;
      expect(data.message.parts[0]!.text).toEqual({ $redacted: 'unreadable' });
      expect(data.metadata).toEqual({ customer: 'Ada Lovelace' });
    });

    it('still validates payloads before encrypting them, naming the field', async () => {
      const { store } = await setup();
      const bad = submission('t-9', 'acme');
      (bad.data as { message: { parts: unknown[] } }).message.parts = [];
      await expect(store.append(taskStreamId('t-9'), [bad])).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        field: 'events[0].data.message.parts',
      });
      await expect(
        store.append('x-1', [{ type: 'nobody.registered_this', data: {} }]),
      ).rejects.toMatchObject({ field: 'events[0].type' });
    });
  });
}

let pglite: PGlite;
beforeAll(async () => {
  pglite = await PGlite.create();
});
afterAll(async () => {
  await pglite?.close();
});

encryptionSuite('PGlite', () => ({
  async open(schema) {
    const client = createPgliteClient(pglite, { owned: false });
    // Exclusive in production; two stores here stand for two processes, so not exclusive.
    const inner = await createPgliteEventStore({ pglite, schema, exclusive: false });
    return { inner, client };
  },
}));

describe.skipIf(!DATABASE_URL)(suiteTitle('PostgreSQL', 'DATABASE_URL'), () => {
  const schemas = new Set<string>();
  afterAll(async () => {
    const admin = createPgClient({ connectionString: DATABASE_URL!, max: 1 });
    for (const schema of schemas) await admin.exec(`drop schema if exists ${schema} cascade`);
    await admin.close();
  });
  encryptionSuite('PostgreSQL', () => ({
    async open(schema) {
      schemas.add(schema);
      const inner = await createPostgresEventStore({
        connectionString: DATABASE_URL!,
        schema,
        max: 4,
      });
      return { inner, client: createPgClient({ connectionString: DATABASE_URL!, max: 2 }) };
    },
  }));
});

describe('ENCRYPTION_MASTER_KEY', () => {
  it('takes 32 bytes in base64, inline or from a file (base64 text or raw bytes)', async () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('base64'))).toEqual(key);
    const folder = await mkdtemp(join(tmpdir(), 'master-key-'));
    try {
      await writeFile(join(folder, 'b64'), `${key.toString('base64')}\n`);
      await writeFile(join(folder, 'raw'), key);
      expect(parseMasterKey(`@${join(folder, 'b64')}`)).toEqual(key);
      expect(parseMasterKey(`@${join(folder, 'raw')}`)).toEqual(key);
      expect(() => parseMasterKey(`@${join(folder, 'missing')}`)).toThrow(/cannot read/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('refuses a key of another length, saying how to make one', () => {
    expect(() => parseMasterKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(() => parseMasterKey('not base64 at all!')).toThrow(/openssl rand -base64 32/);
  });
});
