import type { Migration, MigrationSet } from '../../store/index.js';

/**
 * The queue tables, beside the event store's in the same schema. PGMQ-like: a message is
 * stored once (`bus_messages`) and owes one row per consumer group (`bus_deliveries`), made
 * when it is sent, for every group the topic has then. Acknowledging deletes the group's
 * row, and the last one the message, so every index holds live messages only and no query
 * grows with acknowledged history. Idempotency keys outlive their messages in a table of
 * their own, for a time window.
 *
 * Times the queue computes are epoch milliseconds on the database clock (`NOW_MS`), so
 * instances with drifting clocks agree on who may take what; `deliverAt` and `publishedAt`
 * come from the publisher and are kept as given.
 *
 * Sending, joining a group, receiving and acknowledging are functions: each runs in one
 * round trip, takes its locks before it reads (a statement in a PL/pgSQL function sees what
 * committed before it started, not before the call), and the SQL is the same on PostgreSQL
 * and PGlite.
 */

/** The database clock in epoch milliseconds. */
export const NOW_MS = 'floor(extract(epoch from statement_timestamp()) * 1000)::bigint';

/** Channel of the wake-ups; the payload is a topic. Channel names are cut at 63 bytes. */
export function busChannel(schema: string): string {
  return `bus_${schema}`.slice(0, 63);
}

/**
 * A topic's advisory lock: sends hold it shared, the creation of a group exclusively, so a
 * message sent while a topic gets its first group either reaches that group at once or is
 * adopted by it, never neither.
 */
const topicLock = (s: string, topic: string) => `hashtextextended('${s}.bus:' || ${topic}, 0)`;

const schemaV1 = (s: string) => `
create table ${s}.bus_groups (
  id integer generated always as identity primary key,
  topic text not null,
  name text not null,
  created_at timestamptz not null default now(),
  constraint bus_groups_topic_name_key unique (topic, name)
);

create table ${s}.bus_messages (
  seq bigint generated always as identity primary key,
  id text not null,
  topic text not null,
  payload jsonb not null,
  key text,
  -- 0 critical, 1 high, 2 normal, 3 low
  priority smallint not null,
  headers jsonb not null,
  published_at double precision not null,
  deliver_at double precision,
  idempotency_key text,
  first_visible_at bigint not null,
  -- Sent while the topic had no group: the first group to appear takes it.
  unclaimed boolean not null
);
create index bus_messages_unclaimed_idx on ${s}.bus_messages (topic) where unclaimed;

create table ${s}.bus_deliveries (
  message_seq bigint not null,
  group_id integer not null,
  priority smallint not null,
  key text,
  visible_at bigint not null,
  -- Times handed over so far.
  attempt integer not null default 0,
  primary key (message_seq, group_id)
);
-- A group's lanes, each oldest first: receive reads the head of each lane.
create index bus_deliveries_lane_idx on ${s}.bus_deliveries (group_id, priority, visible_at, message_seq);
-- Whether an older message of the same key is still unacknowledged.
create index bus_deliveries_key_idx on ${s}.bus_deliveries (group_id, key, message_seq)
  where key is not null;

create table ${s}.bus_idempotency (
  topic text not null,
  idempotency_key text not null,
  expires_at bigint not null,
  primary key (topic, idempotency_key)
);
create index bus_idempotency_expiry_idx on ${s}.bus_idempotency (expires_at);

-- Stores the envelopes (a JSON array) in order; per envelope, whether it was a repeat.
create function ${s}.bus_send(p_envelopes jsonb, p_window_ms bigint)
returns table (ordinal integer, duplicate boolean)
language plpgsql as $$
#variable_conflict use_column
declare
  v_now bigint := ${NOW_MS};
  v_envelope jsonb;
  v_topic text;
  v_seq bigint;
  v_visible bigint;
  v_rank smallint;
begin
  for v_envelope, ordinal in
    select e, o::integer from jsonb_array_elements(p_envelopes) with ordinality as a (e, o)
  loop
    v_topic := v_envelope->>'topic';
    perform pg_advisory_xact_lock_shared(${topicLock(s, 'v_topic')});
    if v_envelope->>'idempotencyKey' is not null then
      insert into ${s}.bus_idempotency as i (topic, idempotency_key, expires_at)
        values (v_topic, v_envelope->>'idempotencyKey', v_now + p_window_ms)
        on conflict (topic, idempotency_key) do update set expires_at = excluded.expires_at
          where i.expires_at <= v_now;
      if not found then
        duplicate := true;
        return next;
        continue;
      end if;
    end if;
    v_rank := array_position(array['critical', 'high', 'normal', 'low'], v_envelope->>'priority') - 1;
    v_visible := greatest(v_now, ceil((v_envelope->>'deliverAt')::double precision)::bigint);
    insert into ${s}.bus_messages (id, topic, payload, key, priority, headers, published_at,
        deliver_at, idempotency_key, first_visible_at, unclaimed)
      values (v_envelope->>'id', v_topic, coalesce(v_envelope->'payload', 'null'::jsonb),
        v_envelope->>'key', v_rank, coalesce(v_envelope->'headers', '{}'::jsonb),
        (v_envelope->>'publishedAt')::double precision,
        (v_envelope->>'deliverAt')::double precision, v_envelope->>'idempotencyKey', v_visible,
        not exists (select 1 from ${s}.bus_groups g where g.topic = v_topic))
      returning seq into v_seq;
    insert into ${s}.bus_deliveries (message_seq, group_id, priority, key, visible_at)
      select v_seq, g.id, v_rank, v_envelope->>'key', v_visible
      from ${s}.bus_groups g where g.topic = v_topic;
    -- Delivered on commit, once per topic and transaction.
    perform pg_notify('${busChannel(s)}', v_topic);
    duplicate := false;
    return next;
  end loop;
end $$;

-- The group's id; a group that did not exist is made, and the first of its topic adopts
-- what was sent before.
create function ${s}.bus_join(p_topic text, p_name text)
returns integer
language plpgsql as $$
declare
  v_id integer;
  v_first boolean;
begin
  select id into v_id from ${s}.bus_groups where topic = p_topic and name = p_name;
  if found then
    return v_id;
  end if;
  perform pg_advisory_xact_lock(${topicLock(s, 'p_topic')});
  select id into v_id from ${s}.bus_groups where topic = p_topic and name = p_name;
  if found then
    return v_id;
  end if;
  v_first := not exists (select 1 from ${s}.bus_groups where topic = p_topic);
  insert into ${s}.bus_groups (topic, name) values (p_topic, p_name) returning id into v_id;
  if v_first then
    insert into ${s}.bus_deliveries (message_seq, group_id, priority, key, visible_at)
      select seq, v_id, priority, key, first_visible_at
      from ${s}.bus_messages where topic = p_topic and unclaimed;
    update ${s}.bus_messages set unclaimed = false where topic = p_topic and unclaimed;
  end if;
  return v_id;
end $$;

-- Takes up to p_limit visible messages of the group, most urgent first: a lane's rank less
-- one step per p_aging_ms waited, then send order. A keyed message is eligible only as the
-- oldest unacknowledged of its key. Taken rows turn invisible for p_visibility_ms.
create function ${s}.bus_receive(p_group integer, p_limit integer, p_visibility_ms bigint,
    p_aging_ms bigint)
returns table (seq bigint, attempt integer, id text, topic text, payload jsonb, key text,
  priority smallint, headers jsonb, published_at double precision,
  deliver_at double precision, idempotency_key text)
language plpgsql as $$
#variable_conflict use_column
declare
  v_now bigint := ${NOW_MS};
begin
  return query
  with candidates as (
    select c.message_seq,
      c.priority - floor((v_now - c.visible_at)::double precision / p_aging_ms) as urgency
    from (values (0::smallint), (1::smallint), (2::smallint), (3::smallint)) as lane (rank)
    cross join lateral (
      select d.message_seq, d.priority, d.visible_at
      from ${s}.bus_deliveries d
      where d.group_id = p_group and d.priority = lane.rank and d.visible_at <= v_now
        and (d.key is null or not exists (
          select 1 from ${s}.bus_deliveries o
          where o.group_id = p_group and o.key = d.key and o.message_seq < d.message_seq))
      order by d.visible_at, d.message_seq
      limit p_limit
    ) c
  ),
  chosen as (
    -- Rechecked under the lock: another receiver may have taken a row since the read.
    select d.message_seq, c.urgency
    from ${s}.bus_deliveries d join candidates c on c.message_seq = d.message_seq
    where d.group_id = p_group and d.visible_at <= v_now
    order by c.urgency, d.message_seq
    limit p_limit
    for update of d skip locked
  ),
  taken as (
    update ${s}.bus_deliveries d
      set visible_at = v_now + p_visibility_ms, attempt = d.attempt + 1
      from chosen
      where d.group_id = p_group and d.message_seq = chosen.message_seq
      returning d.message_seq, d.attempt, chosen.urgency
  )
  select m.seq, t.attempt, m.id, m.topic, m.payload, m.key, m.priority, m.headers,
    m.published_at, m.deliver_at, m.idempotency_key
  from taken t join ${s}.bus_messages m on m.seq = t.message_seq
  order by t.urgency, t.message_seq;
end $$;

-- Milliseconds until the group's next eligible message is visible: delayed, released, in
-- hand elsewhere. Zero or less: one is visible now that the last receive did not get (another
-- receiver had it locked for a moment). Null when the group owes nothing it could be handed.
create function ${s}.bus_next_due(p_group integer)
returns bigint
language sql as $$
  select min(n.visible_at) - ${NOW_MS}
  from (values (0::smallint), (1::smallint), (2::smallint), (3::smallint)) as lane (rank)
  cross join lateral (
    select d.visible_at from ${s}.bus_deliveries d
    where d.group_id = p_group and d.priority = lane.rank
      and (d.key is null or not exists (
        select 1 from ${s}.bus_deliveries o
        where o.group_id = p_group and o.key = d.key and o.message_seq < d.message_seq))
    order by d.visible_at limit 1
  ) n
$$;

-- Deletes the deliveries that are still the given attempts; a message no group owes any
-- more goes too. The messages are locked first, in order, so of two groups acknowledging
-- one message at once the second sees the first's delete and removes the message.
create function ${s}.bus_ack(p_groups integer[], p_seqs bigint[], p_attempts integer[])
returns integer
language plpgsql as $$
declare
  v_done integer;
begin
  perform 1 from ${s}.bus_messages m where m.seq = any(p_seqs) order by m.seq
    for no key update;
  delete from ${s}.bus_deliveries d
    using unnest(p_groups, p_seqs, p_attempts) as a (group_id, seq, attempt)
    where d.message_seq = a.seq and d.group_id = a.group_id and d.attempt = a.attempt;
  get diagnostics v_done = row_count;
  delete from ${s}.bus_messages m
    where m.seq = any(p_seqs)
      and not exists (select 1 from ${s}.bus_deliveries d where d.message_seq = m.seq);
  return v_done;
end $$;

-- Back to the queue after p_delay_ms, if the delivery is still that attempt. p_unread: it was
-- never handed to a handler (the receiver closed or paused meanwhile), so it does not count.
create function ${s}.bus_release(p_group integer, p_seq bigint, p_attempt integer,
    p_delay_ms bigint, p_unread boolean)
returns boolean
language plpgsql as $$
begin
  update ${s}.bus_deliveries
    set visible_at = ${NOW_MS} + p_delay_ms,
      attempt = attempt - case when p_unread then 1 else 0 end
    where message_seq = p_seq and group_id = p_group and attempt = p_attempt;
  if not found then
    return false;
  end if;
  -- Members elsewhere learn of it now rather than at their next poll.
  perform pg_notify('${busChannel(s)}', (select topic from ${s}.bus_groups where id = p_group));
  return true;
end $$;
`;

export const busMigrations: MigrationSet = {
  table: 'bus_migrations',
  migrations: [{ version: 1, name: 'bus queues', sql: schemaV1 }] satisfies Migration[],
};
