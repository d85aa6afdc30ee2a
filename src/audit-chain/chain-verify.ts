import type { StoredEvent } from '../events/index.js';
import type { EventStore, SqlExecutor } from '../store/index.js';
import { type ArchivedStreams, archivedStreams } from './archived-streams.js';
import { chainHash, chainTenant, GENESIS } from './chain-hash.js';
import { type ChainRow, readChain, sealedThrough } from './chain-table.js';

/** Why a link is broken. */
export type ChainBreakReason =
  /** The event as stored no longer hashes to its sealed link (its row was changed). */
  | 'hash_mismatch'
  /** A link names an event the store no longer has, and retention did not archive its stream. */
  | 'event_missing'
  /** An event below the sealed head has no link: inserted, or its link was deleted. */
  | 'not_sealed'
  /** A link does not follow the one before it in its tenant's chain (the chain was edited). */
  | 'link_mismatch';

export interface ChainBreak {
  reason: ChainBreakReason;
  tenant: string;
  position: number;
  eventId: string;
  streamId: string;
  /** The hash the chain holds for this link (`hash_mismatch`), or the previous link's hash. */
  expected?: string;
  /** The hash of the event as stored now, or the link's own `prev_hash`. */
  actual?: string;
  message: string;
}

export interface ChainVerification {
  ok: boolean;
  /** The tenant checked; absent: every tenant. */
  tenant?: string;
  /** Every event at or below this position must be sealed. */
  sealedThrough: number;
  /** Links checked against their events. */
  verified: number;
  /** Links whose events retention deleted on purpose. */
  archived: number;
  /** Each tenant's chain as far as it was walked: links and the newest hash. */
  tenants: { tenant: string; links: number; head: string }[];
  /** The first broken link, in global order. */
  broken?: ChainBreak;
}

const PAGE = 1_000;

/**
 * Walks a tenant's chain (every tenant's, without one) beside the events in global order and
 * names the first broken link: an event whose stored form no longer matches its link, a link
 * whose event is gone (unless retention archived its stream), an event below the sealed head
 * with no link, or a link that does not follow its predecessor. `store` must be the store as
 * it stores events (not a decrypting decorator), as for the sealer.
 */
export async function verifyAuditChain(
  store: EventStore,
  client: SqlExecutor,
  schema: string,
  options: { tenant?: string } = {},
): Promise<ChainVerification> {
  const { tenant } = options;
  const head = await sealedThrough(store, client, schema);
  const archived = await archivedStreams(store);
  const links = pages(async (after) => {
    const rows = await readChain(client, schema, {
      after,
      limit: PAGE,
      ...(tenant !== undefined ? { tenant } : {}),
    });
    return { items: rows, next: rows.length === PAGE ? rows.at(-1)!.globalPosition : null };
  });
  const events = pages(async (after) => {
    const page = await store.readAll({ after, limit: PAGE });
    const items = page.events.filter((event) => event.globalPosition <= head);
    return { items, next: items.length === page.events.length ? page.next : null };
  });
  return walk(links, events, { head, archived, tenant });
}

async function walk(
  links: AsyncIterator<ChainRow>,
  events: AsyncIterator<StoredEvent>,
  context: { head: number; archived: ArchivedStreams; tenant: string | undefined },
): Promise<ChainVerification> {
  const heads = new Map<string, { links: number; head: string }>();
  let verified = 0;
  let archivedLinks = 0;
  const result = (broken?: ChainBreak): ChainVerification => ({
    ok: broken === undefined,
    ...(context.tenant !== undefined ? { tenant: context.tenant } : {}),
    sealedThrough: context.head,
    verified,
    archived: archivedLinks,
    tenants: [...heads].map(([tenant, chain]) => ({ tenant, ...chain })),
    ...(broken ? { broken } : {}),
  });
  const relevant = (event: StoredEvent) =>
    context.tenant === undefined || chainTenant(event) === context.tenant;

  let link = await links.next();
  let event = await events.next();
  while (!link.done || !event.done) {
    const row = link.done ? undefined : link.value;
    const stored = event.done ? undefined : event.value;
    if (stored && (!row || stored.globalPosition < row.globalPosition)) {
      if (relevant(stored)) return result(notSealed(stored));
      event = await events.next();
      continue;
    }
    const chain = row!;
    const previous = heads.get(chain.tenant)?.head ?? GENESIS;
    if (chain.prevHash !== previous) return result(linkMismatch(chain, previous));
    if (!stored || stored.globalPosition > chain.globalPosition) {
      if (!context.archived.has(chain.streamId, chain.tenant)) return result(missing(chain));
      archivedLinks += 1;
    } else {
      const actual = chainHash(previous, stored);
      if (
        actual !== chain.hash ||
        stored.id !== chain.eventId ||
        stored.streamId !== chain.streamId ||
        chainTenant(stored) !== chain.tenant
      )
        return result(mismatch(chain, stored, actual));
      verified += 1;
      event = await events.next();
    }
    heads.set(chain.tenant, { links: (heads.get(chain.tenant)?.links ?? 0) + 1, head: chain.hash });
    link = await links.next();
  }
  return result();
}

function notSealed(event: StoredEvent): ChainBreak {
  return {
    reason: 'not_sealed',
    tenant: chainTenant(event),
    position: event.globalPosition,
    eventId: event.id,
    streamId: event.streamId,
    message: `event ${event.id} (${event.streamId}, position ${event.globalPosition}) is below the sealed head but not in the chain`,
  };
}

function missing(chain: ChainRow): ChainBreak {
  return {
    reason: 'event_missing',
    tenant: chain.tenant,
    position: chain.globalPosition,
    eventId: chain.eventId,
    streamId: chain.streamId,
    expected: chain.hash,
    message: `event ${chain.eventId} (${chain.streamId}, position ${chain.globalPosition}) is sealed but missing from the store, and its stream was not archived`,
  };
}

function linkMismatch(chain: ChainRow, previous: string): ChainBreak {
  return {
    reason: 'link_mismatch',
    tenant: chain.tenant,
    position: chain.globalPosition,
    eventId: chain.eventId,
    streamId: chain.streamId,
    expected: previous,
    actual: chain.prevHash,
    message: `the link of event ${chain.eventId} (position ${chain.globalPosition}) does not follow the one before it in the chain of tenant '${chain.tenant}'`,
  };
}

function mismatch(chain: ChainRow, event: StoredEvent, actual: string): ChainBreak {
  const what =
    event.id !== chain.eventId
      ? `the position holds event ${event.id}, the chain sealed ${chain.eventId}`
      : chainTenant(event) !== chain.tenant
        ? `it now belongs to tenant '${chainTenant(event)}', sealed in '${chain.tenant}'`
        : 'its stored form differs from the one sealed';
  return {
    reason: 'hash_mismatch',
    tenant: chain.tenant,
    position: chain.globalPosition,
    eventId: chain.eventId,
    streamId: chain.streamId,
    expected: chain.hash,
    actual,
    message: `event ${chain.eventId} (${chain.streamId}, position ${chain.globalPosition}) was changed after it was sealed: ${what}`,
  };
}

/** Items of successive pages, fetched as they are needed. */
async function* pages<T>(
  read: (after: number) => Promise<{ items: T[]; next: number | null }>,
): AsyncGenerator<T> {
  for (let after: number | null = 0; after !== null; ) {
    const page: { items: T[]; next: number | null } = await read(after);
    yield* page.items;
    after = page.next;
  }
}
