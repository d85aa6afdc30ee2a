import type { Query } from '../../store/index.js';
import { type Envelope, PRIORITIES } from '../transport.js';
import { NOW_MS } from './schema.js';

// Every statement of the PostgreSQL adapter; the work is done by the functions of schema.ts.

export function send(schema: string, envelopes: readonly Envelope[], windowMs: number): Query {
  return {
    name: `${schema}.bus_send`,
    text: `select ordinal, duplicate from ${schema}.bus_send($1::jsonb, $2) order by ordinal`,
    values: [JSON.stringify(envelopes), windowMs],
  };
}

export function join(schema: string, topic: string, group: string): Query {
  return {
    text: `select ${schema}.bus_join($1, $2) as id`,
    values: [topic, group],
  };
}

export interface DeliveryRow extends Record<string, unknown> {
  seq: number;
  attempt: number;
  id: string;
  topic: string;
  payload: unknown;
  key: string | null;
  priority: number;
  headers: Record<string, string>;
  published_at: number;
  deliver_at: number | null;
  idempotency_key: string | null;
}

export function receive(
  schema: string,
  group: number,
  limit: number,
  visibilityMs: number,
  agingMs: number,
): Query {
  return {
    name: `${schema}.bus_receive`,
    text: `select * from ${schema}.bus_receive($1, $2, $3, $4)`,
    values: [group, limit, Math.ceil(visibilityMs), Math.max(1, Math.ceil(agingMs))],
  };
}

export function toEnvelope(row: DeliveryRow): Envelope {
  const envelope: Envelope = {
    id: row.id,
    topic: row.topic,
    payload: row.payload,
    priority: PRIORITIES[row.priority] ?? 'normal',
    headers: row.headers,
    publishedAt: row.published_at,
  };
  if (row.key !== null) envelope.key = row.key;
  if (row.deliver_at !== null) envelope.deliverAt = row.deliver_at;
  if (row.idempotency_key !== null) envelope.idempotencyKey = row.idempotency_key;
  return envelope;
}

export function nextDue(schema: string, group: number): Query {
  return {
    name: `${schema}.bus_next_due`,
    text: `select ${schema}.bus_next_due($1) as due_in_ms`,
    values: [group],
  };
}

export interface Settled {
  group: number;
  seq: number;
  attempt: number;
}

export function ack(schema: string, deliveries: readonly Settled[]): Query {
  return {
    name: `${schema}.bus_ack`,
    text: `select ${schema}.bus_ack($1::integer[], $2::bigint[], $3::integer[]) as done`,
    values: [
      deliveries.map((d) => d.group),
      deliveries.map((d) => d.seq),
      deliveries.map((d) => d.attempt),
    ],
  };
}

export function release(
  schema: string,
  delivery: Settled,
  delayMs: number,
  unread: boolean,
): Query {
  return {
    name: `${schema}.bus_release`,
    text: `select ${schema}.bus_release($1, $2, $3, $4, $5) as released`,
    values: [delivery.group, delivery.seq, delivery.attempt, Math.ceil(delayMs), unread],
  };
}

/** What the group owes; a group that does not exist yet would be owed the unclaimed messages. */
export function depth(schema: string, topic: string, group: string): Query {
  return {
    text: `select (case
        when exists (select 1 from ${schema}.bus_groups where topic = $1)
        then (select count(*) from ${schema}.bus_deliveries d
          join ${schema}.bus_groups g on g.id = d.group_id
          where g.topic = $1 and g.name = $2)
        else (select count(*) from ${schema}.bus_messages where topic = $1 and unclaimed)
      end)::integer as depth`,
    values: [topic, group],
  };
}

/** Forgets idempotency keys past their window, a bounded number at a time. */
export function pruneIdempotencyKeys(schema: string, limit: number): Query {
  return {
    text: `delete from ${schema}.bus_idempotency where (topic, idempotency_key) in (
        select topic, idempotency_key from ${schema}.bus_idempotency
        where expires_at <= ${NOW_MS}
        order by expires_at limit $1
        for update skip locked)`,
    values: [limit],
  };
}
