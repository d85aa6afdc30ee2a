import { createHash } from 'node:crypto';

/**
 * How bus names become NATS names. Stream and consumer names allow less than topics and groups
 * may hold (no dots, no spaces), so each name is a readable part plus a digest of the original:
 * two topics never share a stream, whatever characters they use.
 */

/** No underscore: a stream belongs to prefix P exactly when its name starts with `P_`. */
const PREFIX = /^[A-Za-z0-9-]{1,32}$/;

export function checkPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) {
    throw new Error(
      `NATS bus prefix "${prefix}" must be 1 to 32 letters, digits or dashes (it starts stream names)`,
    );
  }
}

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function safeName(text: string): string {
  const readable = text.replace(/[^A-Za-z0-9-]+/g, '-').slice(0, 48);
  return `${readable}-${digest(text, 10)}`;
}

export interface TopicNames {
  stream: string;
  /** Messages a group may take now. */
  ready: string;
  /** Messages with a `deliverAt` still ahead, moved to `ready` when due. */
  delayed: string;
}

/** One stream per topic: its de-duplication window and its bound are the topic's own. */
export function topicNames(prefix: string, topic: string): TopicNames {
  const stream = `${prefix}_${safeName(topic)}`;
  return { stream, ready: `${stream}.ready`, delayed: `${stream}.delayed` };
}

/** The durable consumer of a group. Groups all start with `group-`, so no group is the mover. */
export function groupConsumer(group: string): string {
  return `group-${safeName(group)}`;
}

/** The durable consumer that moves due messages from `delayed` to `ready`, shared by instances. */
export const MOVER_CONSUMER = 'deliver-at';

/** Header of a delayed message: its `deliverAt` in epoch milliseconds. */
export const DELIVER_AT_HEADER = 'Bus-Deliver-At';

/**
 * `Nats-Msg-Id` of a message with an idempotency key. The `k:` and `due:` namespaces keep keys
 * apart from the mover's ids; a key a header cannot carry as it is goes by its digest.
 */
export function keyMessageId(idempotencyKey: string): string {
  return /^[\x21-\x7e]{1,200}$/.test(idempotencyKey)
    ? `k:${idempotencyKey}`
    : `k#${digest(idempotencyKey, 64)}`;
}

/** `Nats-Msg-Id` of a due message's copy: a mover that moves it twice stores it once. */
export function moveMessageId(delayedSequence: number): string {
  return `due:${delayedSequence}`;
}
