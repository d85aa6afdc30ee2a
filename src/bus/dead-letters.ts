import type { StoredEvent } from '../events/index.js';
import type { EventStore } from '../store/index.js';
import { DEAD_LETTER_STREAM_PREFIX, DEAD_LETTER_EVENT_TYPES as T } from './dead-letter-events.js';
import type { Envelope } from './transport.js';

export type DeadLetterState =
  | 'pending_retry'
  | 'retrying'
  | 'permanent_failure'
  | 'resolved'
  | 'purged';

export interface DeadLetterEntry {
  /** `<group>:<message id>`: one entry per message and consumer group. */
  id: string;
  group: string;
  topic: string;
  messageId: string;
  state: DeadLetterState;
  attempts: number;
  lastError: string;
  retryAt?: string;
  firstFailedAt: string;
  updatedAt: string;
  envelope: Envelope;
  /** Stream version: operator actions are appended at it, so two cannot race. */
  version: number;
}

export interface DeadLetterFilter {
  /** Default: the entries that need an operator or are being retried (not resolved or purged). */
  states?: readonly DeadLetterState[];
  topic?: string;
  group?: string;
  limit?: number;
}

export class DeadLetterNotFound extends Error {
  override readonly name = 'DeadLetterNotFound';
}

export class DeadLetterStateConflict extends Error {
  override readonly name = 'DeadLetterStateConflict';
}

/** The operator's view: the CLI's `dlq` commands and the admin API use it. */
export interface DeadLetterAdmin {
  list(filter?: DeadLetterFilter): Promise<DeadLetterEntry[]>;
  get(id: string): Promise<DeadLetterEntry | undefined>;
  /** Sends a permanently failed message to its group again, from attempt 1. */
  retry(id: string, by: string): Promise<DeadLetterEntry>;
  retryBatch(filter: DeadLetterFilter, by: string): Promise<DeadLetterEntry[]>;
  /** Drops the entry from the list; its events stay for the audit. */
  purge(id: string, by: string): Promise<DeadLetterEntry>;
  purgeBatch(filter: DeadLetterFilter, by: string): Promise<DeadLetterEntry[]>;
}

export const OPEN_STATES: readonly DeadLetterState[] = [
  'pending_retry',
  'retrying',
  'permanent_failure',
];

export function entryId(group: string, messageId: string): string {
  return `${group}:${messageId}`;
}

function streamOf(id: string): string {
  return `${DEAD_LETTER_STREAM_PREFIX}${id}`;
}

/** What the consumers report, and what the operator does, as events in the store. */
export class DeadLetters implements DeadLetterAdmin {
  /** Entries this process knows exist: a redelivery of anything else needs no read. */
  private readonly known = new Set<string>();

  constructor(
    private readonly store: EventStore,
    /** Sends the envelope again, to `group` only. */
    private readonly resend: (envelope: Envelope, group: string) => Promise<void>,
  ) {}

  async failed(
    group: string,
    envelope: Envelope,
    attempt: number,
    error: string,
    retryAt: Date,
  ): Promise<void> {
    const id = entryId(group, envelope.id);
    await this.append(id, T.failed, {
      entryId: id,
      group,
      attempt,
      error,
      retryAt: retryAt.toISOString(),
      envelope,
    });
    this.known.add(id);
  }

  async deadLettered(
    group: string,
    envelope: Envelope,
    attempt: number,
    error: string,
  ): Promise<void> {
    const id = entryId(group, envelope.id);
    await this.append(id, T.deadLettered, { entryId: id, group, attempt, error, envelope });
    this.known.add(id);
  }

  /** A redelivery starts: recorded only for messages that have an entry. */
  async retryStarted(group: string, messageId: string, attempt: number): Promise<void> {
    const id = entryId(group, messageId);
    if (!(await this.exists(id))) return;
    await this.append(id, T.retryStarted, { entryId: id, group, attempt });
  }

  async succeeded(group: string, messageId: string, attempt: number): Promise<void> {
    const id = entryId(group, messageId);
    if (!(await this.exists(id))) return;
    await this.append(id, T.succeeded, { entryId: id, group, attempt });
    this.known.delete(id);
  }

  async list(filter: DeadLetterFilter = {}): Promise<DeadLetterEntry[]> {
    const states = filter.states ?? OPEN_STATES;
    const entries = [...(await this.foldAll()).values()].filter(
      (entry) =>
        states.includes(entry.state) &&
        (filter.topic === undefined || entry.topic === filter.topic) &&
        (filter.group === undefined || entry.group === filter.group),
    );
    entries.sort((a, b) => a.firstFailedAt.localeCompare(b.firstFailedAt));
    return filter.limit === undefined ? entries : entries.slice(0, filter.limit);
  }

  async get(id: string): Promise<DeadLetterEntry | undefined> {
    const events = await this.store.readStream(streamOf(id));
    return foldEntry(events);
  }

  async retry(id: string, by: string): Promise<DeadLetterEntry> {
    const entry = await this.require(id);
    if (entry.state !== 'permanent_failure') {
      throw new DeadLetterStateConflict(
        `dead letter ${id} is ${entry.state}: only a permanent failure can be retried`,
      );
    }
    await this.store.append(
      streamOf(id),
      [{ type: T.retryRequested, data: { entryId: id, group: entry.group, by } }],
      { expectedVersion: entry.version },
    );
    this.known.add(id);
    const { idempotencyKey: _dropped, ...envelope } = entry.envelope;
    await this.resend(envelope, entry.group);
    return (await this.get(id)) ?? entry;
  }

  async retryBatch(filter: DeadLetterFilter, by: string): Promise<DeadLetterEntry[]> {
    const chosen = await this.list({ ...filter, states: ['permanent_failure'] });
    const retried: DeadLetterEntry[] = [];
    for (const entry of chosen) retried.push(await this.retry(entry.id, by));
    return retried;
  }

  async purge(id: string, by: string): Promise<DeadLetterEntry> {
    const entry = await this.require(id);
    if (entry.state !== 'permanent_failure' && entry.state !== 'resolved') {
      throw new DeadLetterStateConflict(
        `dead letter ${id} is ${entry.state}: wait until its retries are over to purge it`,
      );
    }
    await this.store.append(
      streamOf(id),
      [{ type: T.purged, data: { entryId: id, group: entry.group, by } }],
      { expectedVersion: entry.version },
    );
    this.known.delete(id);
    return (await this.get(id)) ?? entry;
  }

  async purgeBatch(filter: DeadLetterFilter, by: string): Promise<DeadLetterEntry[]> {
    const chosen = await this.list({ ...filter, states: ['permanent_failure'] });
    const purged: DeadLetterEntry[] = [];
    for (const entry of chosen) purged.push(await this.purge(entry.id, by));
    return purged;
  }

  private async require(id: string): Promise<DeadLetterEntry> {
    const entry = await this.get(id);
    if (!entry) throw new DeadLetterNotFound(`no dead letter ${id}`);
    return entry;
  }

  private async exists(id: string): Promise<boolean> {
    if (this.known.has(id)) return true;
    const info = await this.store.streamInfo(streamOf(id));
    if (info) this.known.add(id);
    return info !== undefined;
  }

  private async append(id: string, type: string, data: unknown): Promise<void> {
    await this.store.append(streamOf(id), [{ type, data }], { expectedVersion: 'any' });
  }

  /** Every entry, folded from the bus events; fine for the few messages that fail. */
  private async foldAll(): Promise<Map<string, DeadLetterEntry>> {
    const byStream = new Map<string, StoredEvent[]>();
    let after: number | undefined;
    for (;;) {
      const page = await this.store.readAll({ after, limit: 1_000, types: Object.values(T) });
      for (const event of page.events) {
        const list = byStream.get(event.streamId) ?? [];
        list.push(event);
        byStream.set(event.streamId, list);
      }
      if (page.next === null) break;
      after = page.next;
    }
    const entries = new Map<string, DeadLetterEntry>();
    for (const events of byStream.values()) {
      const entry = foldEntry(events);
      if (entry) entries.set(entry.id, entry);
    }
    return entries;
  }
}

interface FailureData {
  entryId: string;
  group: string;
  attempt: number;
  error?: string;
  retryAt?: string;
  envelope?: Envelope;
}

/** An entry from its events in stream order; undefined before its first failure. */
export function foldEntry(events: readonly StoredEvent[]): DeadLetterEntry | undefined {
  let entry: DeadLetterEntry | undefined;
  for (const event of events) {
    const data = event.data as FailureData;
    if (!entry) {
      if (!data.envelope) continue;
      entry = {
        id: data.entryId,
        group: data.group,
        topic: data.envelope.topic,
        messageId: data.envelope.id,
        state: 'pending_retry',
        attempts: 0,
        lastError: '',
        firstFailedAt: event.timestamp,
        updatedAt: event.timestamp,
        envelope: data.envelope,
        version: event.streamVersion,
      };
    }
    entry.updatedAt = event.timestamp;
    entry.version = event.streamVersion;
    switch (event.type) {
      case T.failed:
        entry.state = 'pending_retry';
        entry.attempts = Math.max(entry.attempts, data.attempt);
        entry.lastError = data.error ?? entry.lastError;
        entry.retryAt = data.retryAt;
        break;
      case T.retryStarted:
        entry.state = 'retrying';
        break;
      case T.deadLettered:
        entry.state = 'permanent_failure';
        entry.attempts = Math.max(entry.attempts, data.attempt);
        entry.lastError = data.error ?? entry.lastError;
        entry.retryAt = undefined;
        break;
      case T.succeeded:
        entry.state = 'resolved';
        entry.retryAt = undefined;
        break;
      case T.retryRequested:
        entry.state = 'pending_retry';
        entry.retryAt = event.timestamp;
        break;
      case T.purged:
        entry.state = 'purged';
        break;
    }
  }
  return entry;
}
