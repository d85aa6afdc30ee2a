import { randomUUID } from 'node:crypto';
import {
  type EventRegistry,
  mapSensitive,
  type NewEvent,
  NewEventSchema,
  type StoredEvent,
  ValidationError,
} from '../events/index.js';
import {
  type EventPage,
  type EventStore,
  type Snapshot,
  StoreClosedError,
  type Subscription,
} from '../store/index.js';
import { decryptJson, type EncryptedValue, encryptJson, isEncrypted, redacted } from './cipher.js';
import { type DataKey, SHREDDED_KEY, type TenantKeys } from './tenant-keys.js';

export interface EncryptingStoreOptions {
  keys: TenantKeys;
  /**
   * The registry that says which fields are personal data. The store under this one must be
   * made WITHOUT a registry: it sees ciphertext where the schemas expect text, so validation
   * (before encrypting) and upcasting (after decrypting) happen here instead.
   */
  registry: EventRegistry;
}

/**
 * The event store with personal data encrypted at rest, for every adapter alike: on append,
 * each field the registry marks sensitive (see events/sensitive.ts) is encrypted with
 * AES-256-GCM under the data key of the event's tenant (`metadata.tenant`, none = the default
 * tenant ''); every read path opens it again. A field whose key was shredded reads as
 * `{ "$redacted": "shredded" }`, never as an error: the skeleton of the audit (types, times,
 * states, ids) stays readable. Snapshots (copies of task state) are encrypted whole, and one
 * whose key is gone is simply not found (the stream is replayed instead).
 *
 * Idempotency is untouched: the store compares events by id, and ids are fixed before
 * encryption (a random IV changes only the ciphertext).
 */
export function createEncryptingStore(
  inner: EventStore,
  options: EncryptingStoreOptions,
): EventStore {
  const { keys, registry } = options;
  // Live events reach every subscriber as one object: open each once.
  const opened = new WeakMap<StoredEvent, StoredEvent>();

  function upcast(event: StoredEvent): StoredEvent {
    const latest = registry.latestVersion(event.type);
    if (latest === undefined || latest <= event.schemaVersion) return event;
    const { version, data } = registry.upcast(event.type, event.schemaVersion, event.data);
    return { ...event, schemaVersion: version, data };
  }

  /** The key ids an event's sensitive fields need that this process does not hold yet. */
  function missingKids(event: StoredEvent, into: Set<string>): void {
    const paths = registry.sensitivePaths(event.type, event.schemaVersion);
    if (paths.length === 0) return;
    mapSensitive(event.data, paths, (value) => {
      if (isEncrypted(value) && keys.cachedKeyById(value.kid) === undefined) into.add(value.kid);
      return value;
    });
  }

  /** The event with its fields opened; every key it needs must be held (see `prefetch`). */
  function openNow(event: StoredEvent): StoredEvent {
    const done = opened.get(event);
    if (done) return done;
    const paths = registry.sensitivePaths(event.type, event.schemaVersion);
    const data =
      paths.length === 0
        ? event.data
        : mapSensitive(event.data, paths, (value, where) => {
            if (!isEncrypted(value)) return value;
            const key = keys.cachedKeyById(value.kid);
            if (key === undefined || key === SHREDDED_KEY) return redacted('shredded');
            const open = openValue(key, value, aadOf(event.id, where));
            return open.ok ? open.value : redacted('unreadable');
          });
    const result = upcast(data === event.data ? event : { ...event, data });
    opened.set(event, result);
    return result;
  }

  async function prefetch(events: readonly StoredEvent[]): Promise<void> {
    const kids = new Set<string>();
    for (const event of events) missingKids(event, kids);
    await Promise.all([...kids].map((kid) => keys.keyById(kid)));
  }

  async function openAll(events: StoredEvent[]): Promise<StoredEvent[]> {
    await prefetch(events);
    return events.map(openNow);
  }

  const openPage = async (page: EventPage): Promise<EventPage> => ({
    events: await openAll(page.events),
    next: page.next,
  });

  /** Validates like the store would (the store below has no registry), then encrypts. */
  async function seal(
    events: readonly NewEvent[],
  ): Promise<{ sealed: NewEvent[]; plain: unknown[] }> {
    const sealed: NewEvent[] = [];
    const plain: unknown[] = [];
    for (const [index, event] of events.entries()) {
      const prefix = `events[${index}]`;
      const parsed = NewEventSchema.safeParse(event);
      if (!parsed.success) throw ValidationError.fromZod(parsed.error, prefix);
      const version = parsed.data.schemaVersion ?? registry.latestVersion(parsed.data.type) ?? 1;
      let data: unknown;
      try {
        data = registry.validate(parsed.data.type, version, event.data) ?? null;
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        throw new ValidationError(
          `${prefix}.${error.field}`,
          error.issues[0]?.message ?? error.message,
          error.issues.map((issue) => ({ ...issue, path: `${prefix}.${issue.path}` })),
        );
      }
      plain.push(data);
      const paths = registry.sensitivePaths(parsed.data.type, version);
      if (paths.length === 0) {
        sealed.push({ ...event, schemaVersion: version, data });
        continue;
      }
      // The id is part of what each ciphertext is bound to, so it is settled here.
      const id = parsed.data.id ?? randomUUID();
      const tenant = parsed.data.metadata?.tenant ?? '';
      const key = keys.cachedKeyFor(tenant) ?? (await keys.keyFor(tenant));
      sealed.push({
        ...event,
        id,
        schemaVersion: version,
        data: mapSensitive(data, paths, (value, where) =>
          encryptJson(key.key, key.kid, value, aadOf(id, where)),
        ),
      });
    }
    return { sealed, plain };
  }

  async function tenantOfStream(streamId: string): Promise<string> {
    const [first] = await inner.readStream(streamId, { limit: 1 });
    return first?.metadata.tenant ?? '';
  }

  // Appends begun before close() are finished by it, as the store below would (contract).
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;

  async function appendSealed(
    streamId: string,
    events: readonly NewEvent[],
    appendOptions: Parameters<EventStore['append']>[2],
  ) {
    if (!Array.isArray(events)) return inner.append(streamId, events, appendOptions);
    const { sealed, plain } = await seal(events);
    const result = await inner.append(streamId, sealed, appendOptions);
    // What was written, as a read returns it: the plaintext we hold, no decryption.
    const written = result.events.map((event, index) => {
      const open = upcast({ ...event, data: plain[index] });
      opened.set(event, open);
      return open;
    });
    return { ...result, events: written };
  }

  return {
    append(streamId, events, appendOptions) {
      if (closing) return Promise.reject(new StoreClosedError());
      const work = appendSealed(streamId, events, appendOptions);
      inFlight.add(work);
      return work.finally(() => inFlight.delete(work));
    },

    readStream: async (streamId, readOptions) =>
      openAll(await inner.readStream(streamId, readOptions)),
    readAll: async (readOptions) => openPage(await inner.readAll(readOptions)),
    readByCorrelation: async (correlationId, readOptions) =>
      openPage(await inner.readByCorrelation(correlationId, readOptions)),
    readByTime: async (range, readOptions) => openPage(await inner.readByTime(range, readOptions)),
    headPosition: () => inner.headPosition(),
    streamInfo: (streamId) => inner.streamInfo(streamId),

    async saveSnapshot(streamId, version, state) {
      const key = await keys.keyFor(await tenantOfStream(streamId));
      await inner.saveSnapshot(
        streamId,
        version,
        encryptJson(key.key, key.kid, state, snapshotAad(streamId, version)),
      );
    },

    async loadSnapshot<S>(streamId: string): Promise<Snapshot<S> | undefined> {
      const snapshot = await inner.loadSnapshot<unknown>(streamId);
      if (!snapshot || !isEncrypted(snapshot.state)) return snapshot as Snapshot<S> | undefined;
      const key = await keys.keyById(snapshot.state.kid);
      // A snapshot is an optimisation: one that cannot be opened is one that is not there.
      if (key === SHREDDED_KEY) return undefined;
      const open = openValue(key, snapshot.state, snapshotAad(streamId, snapshot.version));
      return open.ok ? { ...snapshot, state: open.value as S } : undefined;
    },

    subscribe: (subscribeOptions) => openSubscription(inner.subscribe(subscribeOptions)),
    subscribeToStream: (streamId, streamOptions) =>
      openSubscription(inner.subscribeToStream(streamId, streamOptions)),

    get exclusive() {
      return inner.exclusive;
    },
    deleteStream: (streamId) => inner.deleteStream(streamId),
    // Archives hold events as stored (ciphertext): restored, they open as before, or read as
    // shredded if their tenant's key went meanwhile.
    importEvents: (events) => inner.importEvents(events),
    loadCheckpoint: (name) => inner.loadCheckpoint(name),
    saveCheckpoint: (name, position) => inner.saveCheckpoint(name, position),
    stats: () => inner.stats(),
    async close() {
      closing = true;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await inner.close();
    },
  };

  /**
   * The subscription with its events opened. `takeReady` cannot wait, so it hands out events
   * only while their keys are held; the first that needs a key not yet loaded, and every
   * event after it, wait in order for the iterator, which loads the key.
   */
  function openSubscription(subscription: Subscription): Subscription {
    const waiting: StoredEvent[] = [];
    const canOpenNow = (event: StoredEvent) => {
      const kids = new Set<string>();
      missingKids(event, kids);
      return kids.size === 0;
    };
    return {
      get ready() {
        return subscription.ready;
      },
      get position() {
        // Nothing after the last event handed out comes before the first one waiting.
        return waiting.length > 0 ? waiting[0]!.globalPosition - 1 : subscription.position;
      },
      get idleThrough() {
        return waiting.length > 0 ? undefined : subscription.idleThrough;
      },
      takeReady(max) {
        if (waiting.length === 0) {
          const taken = subscription.takeReady(max);
          const blocked = taken.findIndex((event) => !canOpenNow(event));
          if (blocked < 0) return taken.map(openNow);
          waiting.push(...taken.slice(blocked));
          return taken.slice(0, blocked).map(openNow);
        }
        const out: StoredEvent[] = [];
        while (out.length < max && waiting.length > 0 && canOpenNow(waiting[0]!))
          out.push(openNow(waiting.shift()!));
        return out;
      },
      close: () => subscription.close(),
      [Symbol.asyncIterator]() {
        const iterator = subscription[Symbol.asyncIterator]();
        return {
          [Symbol.asyncIterator]() {
            return this;
          },
          async next(): Promise<IteratorResult<StoredEvent>> {
            const event = waiting.shift();
            if (event) {
              await prefetch([event]);
              return { done: false, value: openNow(event) };
            }
            const result = await iterator.next();
            if (result.done) return result;
            await prefetch([result.value]);
            return { done: false, value: openNow(result.value) };
          },
          async return(): Promise<IteratorResult<StoredEvent>> {
            subscription.close();
            await iterator.return?.();
            return { done: true, value: undefined };
          },
          throw: async (error?: unknown) => {
            subscription.close();
            if (iterator.throw) return iterator.throw(error);
            throw error;
          },
        };
      },
    };
  }
}

/** An altered ciphertext (or one moved to another place) does not open: no error, no value. */
function openValue(
  key: DataKey,
  value: EncryptedValue,
  aad: string,
): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: decryptJson(key.key, value, aad) };
  } catch {
    return { ok: false };
  }
}

/** Each ciphertext is bound to its event and field. */
function aadOf(eventId: string, path: string): string {
  return `${eventId}:${path}`;
}

function snapshotAad(streamId: string, version: number): string {
  return `snapshot:${streamId}:${version}`;
}
