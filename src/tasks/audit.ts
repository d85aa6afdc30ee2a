import type { StoredEvent } from '../events/index.js';
import type { EventStore } from '../store/index.js';
import { type PushConfig, taskStreamId } from './events.js';

/** One line of a task's audit timeline: an event as stored, with who and what caused it. */
export interface AuditEntry {
  position: number;
  version: number;
  type: string;
  timestamp: string;
  tenant: string;
  principal?: string;
  source?: string;
  correlationId: string;
  causationId: string | null;
  eventId: string;
  data: unknown;
}

export function toAuditEntry(event: StoredEvent): AuditEntry {
  return {
    position: event.globalPosition,
    version: event.streamVersion,
    type: event.type,
    timestamp: event.timestamp,
    tenant: event.metadata.tenant ?? '',
    ...(event.metadata.principal ? { principal: event.metadata.principal } : {}),
    ...(event.metadata.source ? { source: event.metadata.source } : {}),
    correlationId: event.correlationId,
    causationId: event.causationId,
    eventId: event.id,
    data: event.type === 'task.push_config_set' ? withoutSecrets(event.data) : event.data,
  };
}

/**
 * A webhook's token and credentials are the client's secrets (§13.2): the timeline says that
 * they were set, not what they are.
 */
function withoutSecrets(data: unknown): unknown {
  const { config } = data as { config: PushConfig };
  const { token, authentication, ...rest } = config;
  return {
    config: {
      ...rest,
      ...(token !== undefined ? { token: REDACTED } : {}),
      ...(authentication
        ? {
            authentication: {
              scheme: authentication.scheme,
              ...(authentication.credentials !== undefined ? { credentials: REDACTED } : {}),
            },
          }
        : {}),
    },
  };
}

const REDACTED = '[redacted]';

/**
 * A task's full history, every event in order. Undefined when the task does not exist in
 * `tenant` (another tenant's task reads as absent). `tenant` undefined means any tenant: for
 * operators on the command line.
 */
export async function readTaskTimeline(
  store: EventStore,
  taskId: string,
  tenant: string | undefined,
): Promise<AuditEntry[] | undefined> {
  const events = await store.readStream(taskStreamId(taskId));
  const first = events[0];
  if (!first || (tenant !== undefined && (first.metadata.tenant ?? '') !== tenant))
    return undefined;
  return events.map(toAuditEntry);
}
