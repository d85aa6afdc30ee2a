import type { StoredEvent } from '../events/index.js';
import {
  type DurableSubscriber,
  type EventStore,
  type SqlClient,
  startDurableSubscriber,
} from '../store/index.js';
import { chainHash, chainTenant, GENESIS } from './chain-hash.js';
import {
  type ChainRow,
  chainHeads,
  insertLinks,
  migrateAuditChain,
  SEALER_NAME,
  sealedThrough,
} from './chain-table.js';

export interface AuditChainSealerOptions {
  /**
   * The store as it stores events: NOT a decorator that decrypts or otherwise rewrites them on
   * the way out. The chain seals the stored form, so `verify` can check it against the rows
   * without any key; the composition root passes the raw store here.
   */
  store: EventStore;
  /** The database beside the events, where `event_chain` lives. */
  client: SqlClient;
  schema: string;
  onError?: (error: unknown, event: StoredEvent | undefined) => void;
}

/**
 * Seals every committed event into its tenant's hash chain, in global order, off the append
 * path: a durable subscriber ("audit-chain") writes a batch of links at a time into
 * `event_chain`. Links are a pure function of the events before them, so a replay after a
 * crash or a second instance sealing the same events writes the same rows (kept once).
 */
export async function startAuditChainSealer(
  options: AuditChainSealerOptions,
): Promise<DurableSubscriber> {
  const { store, client, schema } = options;
  await migrateAuditChain(client, schema);
  // Events at or below what the table holds are sealed already (the chain is a prefix of the
  // global order): a replay skips them rather than chain them twice.
  const through = await sealedThrough(store, client, schema);
  let heads = await chainHeads(client, schema);
  let sealed = through;
  return startDurableSubscriber(store, {
    name: SEALER_NAME,
    async handleBatch(events) {
      const next = new Map(heads);
      const links: ChainRow[] = [];
      for (const event of events) {
        if (event.globalPosition <= sealed) continue;
        const tenant = chainTenant(event);
        const prevHash = next.get(tenant) ?? GENESIS;
        const hash = chainHash(prevHash, event);
        next.set(tenant, hash);
        links.push({
          globalPosition: event.globalPosition,
          tenant,
          streamId: event.streamId,
          eventId: event.id,
          prevHash,
          hash,
        });
      }
      await insertLinks(client, schema, links);
      // Only once stored: a failed write is retried from the same heads.
      heads = next;
      sealed = Math.max(sealed, events[events.length - 1]!.globalPosition);
    },
    maxBatch: 2_000,
    maxBatchDelayMs: 50,
    checkpoint: { events: 2_000, ms: 1_000 },
    ...(options.onError ? { onError: options.onError } : {}),
  });
}
