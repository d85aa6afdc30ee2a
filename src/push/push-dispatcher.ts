import type { Bus, OutgoingMessage } from '../bus/index.js';
import type { StoredEvent } from '../events/index.js';
import type { Logger } from '../observability/index.js';
import type { StreamResponse } from '../protocol/index.js';
import { type DurableSubscriber, type EventStore, startDurableSubscriber } from '../store/index.js';
import {
  foldAll,
  foldStored,
  isTerminal,
  nameBasedUuid,
  TASK_EVENT_TYPES,
  type TaskAggregate,
  taskStreamId,
  toStreamResponse,
} from '../tasks/index.js';

export const PUSH_DELIVER_TOPIC = 'push.deliver';

/** One notification for one webhook: what `push.deliver` carries. No secrets: the config is read again. */
export interface PushDeliveryJob {
  taskId: string;
  configId: string;
  /** '' is the default tenant. */
  tenant: string;
  /** Global position of the task event the notification tells of. */
  position: number;
  /** The same for every try: receivers deduplicate by it (`X-A2A-Notification-Id`). */
  notificationId: string;
  response: StreamResponse;
}

/** Stable across retries and replays: the webhook, its task and the event. */
export function notificationId(taskId: string, configId: string, position: number): string {
  return nameBasedUuid(`push\n${taskId}\n${configId}\n${position}`);
}

/**
 * What the dispatcher knows of a task: its fold when it has webhooks, else only how far it
 * has seen it (a task without webhooks costs no memory beyond this).
 */
interface Known {
  version: number;
  task?: TaskAggregate;
}

export interface PushDispatcherOptions {
  store: EventStore;
  bus: Pick<Bus, 'publishBatch'>;
  logger: Logger;
  /** Checkpoint name. Default `push-dispatcher`. */
  name?: string;
  /** Tasks remembered; the least recently seen are read again from the store when needed. */
  maxTasks?: number;
}

export interface PushDispatcher {
  /** Resolves true once every event up to `position` has had its jobs published. */
  waitFor(position: number, timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Follows every task's events (a durable subscriber) and publishes one `push.deliver` job per
 * webhook the task had for each update a client would see on a stream. A replay after a crash
 * publishes the same idempotency keys (`<config>:<position>`): the bus drops the repeats.
 */
export async function startPushDispatcher(options: PushDispatcherOptions): Promise<PushDispatcher> {
  const { store, bus, logger } = options;
  const maxTasks = options.maxTasks ?? 20_000;
  const known = new Map<string, Known>();

  /** The task as it stood before `event`, from memory, or read when memory does not line up. */
  async function before(
    event: StoredEvent,
    working: Map<string, Known>,
  ): Promise<Known | undefined> {
    if (event.streamVersion === 1) return undefined;
    const id = event.streamId.slice('task-'.length);
    const held = working.get(id) ?? known.get(id);
    if (held && held.version === event.streamVersion - 1) {
      // Its fold was not kept (no webhooks): needed again only when one is being set.
      if (held.task || event.type !== TASK_EVENT_TYPES.pushConfigSet) return held;
    }
    // Never seen (a restart, or forgotten), or a webhook is set on a task whose fold was not
    // kept: read it back.
    const events = await store.readStream(taskStreamId(id), { toVersion: event.streamVersion - 1 });
    const task = foldAll(undefined, events);
    return task ? { version: task.version, task } : undefined;
  }

  async function handleBatch(events: StoredEvent[]): Promise<void> {
    // Folded aside and kept only once the jobs are published: a failed batch is handed over
    // again and must find the tasks as they stood before it.
    const working = new Map<string, Known>();
    const jobs: OutgoingMessage<PushDeliveryJob>[] = [];
    for (const event of events) {
      const id = event.streamId.slice('task-'.length);
      const previous = await before(event, working);
      const needsFold =
        event.streamVersion === 1 ||
        previous?.task !== undefined ||
        event.type === TASK_EVENT_TYPES.pushConfigSet;
      if (!needsFold) {
        working.set(id, { version: event.streamVersion });
        continue;
      }
      const task = foldStored(previous?.task, event);
      const configs = task.pushConfigs ?? [];
      const response = configs.length > 0 ? toStreamResponse(task, event) : undefined;
      if (response) {
        for (const config of configs) {
          jobs.push({
            topic: PUSH_DELIVER_TOPIC,
            // Each webhook hears its task's updates in order, and a failing webhook holds back
            // only its own notifications, not the other webhooks' of the task.
            key: `${task.id}\n${config.id}`,
            idempotencyKey: `${config.id}:${event.globalPosition}`,
            // The delivery continues the trace of the request or run that stored the event.
            ...(event.metadata.traceparent
              ? { headers: { traceparent: event.metadata.traceparent } }
              : {}),
            payload: {
              taskId: task.id,
              configId: config.id,
              tenant: task.tenant,
              position: event.globalPosition,
              notificationId: notificationId(task.id, config.id, event.globalPosition),
              response,
            },
          });
        }
      }
      working.set(id, { version: task.version, task });
    }
    if (jobs.length > 0) await bus.publishBatch(jobs);
    for (const [id, { version, task }] of working) {
      known.delete(id);
      // Only a task with webhooks that may still change needs its fold kept: an ended task
      // sends nothing more, one without webhooks is read back if it ever gets one.
      const keep = task?.pushConfigs !== undefined && !isTerminal(task);
      known.set(id, keep ? { version, task } : { version });
    }
    // Least recently seen first out (Map keeps insertion order).
    while (known.size > maxTasks) known.delete(known.keys().next().value!);
  }

  const subscriber: DurableSubscriber = await startDurableSubscriber(store, {
    name: options.name ?? 'push-dispatcher',
    types: Object.values(TASK_EVENT_TYPES),
    handleBatch,
    maxBatch: 500,
    // Webhooks exist only from the first start with push on: no history to go through.
    firstStart: 'end',
    // Replays publish the same idempotency keys: a checkpoint a second is enough.
    checkpoint: { events: 500, ms: 1_000 },
    onError: (error, event) =>
      logger.warn('push dispatcher could not publish a notification job: trying again', {
        error,
        position: event?.globalPosition,
      }),
  });

  return {
    waitFor: (position, timeoutMs) => subscriber.waitFor(position, timeoutMs),
    stop: () => subscriber.stop(),
  };
}
