import {
  type Bus,
  type BusMessage,
  type Consumer,
  PermanentFailure,
  type RetryPolicy,
} from '../bus/index.js';
import type { Logger } from '../observability/index.js';
import type { PushConfig, TaskAggregate } from '../tasks/index.js';
import { PUSH_DELIVER_TOPIC, type PushDeliveryJob } from './push-dispatcher.js';
import type { WebhookSender } from './webhook-sender.js';

export const PUSH_GROUP = 'push';

/** A webhook that answered with something retrying cannot change (a 4xx, a redirect). */
export class WebhookRejected extends PermanentFailure {}

/** A webhook that did not take the notification this time (5xx, 408, 429, no answer). */
export class WebhookUnavailable extends Error {
  override readonly name = 'WebhookUnavailable';
}

export interface PushDeliveryOptions {
  bus: Pick<Bus, 'subscribe'>;
  sender: WebhookSender;
  /** The task with its push configs current (the command handler's `get`). */
  task: (taskId: string, tenant: string) => Promise<TaskAggregate | undefined>;
  logger: Logger;
  retry: RetryPolicy;
  /** Notifications sent at once. Default 16. */
  concurrency?: number;
  /** Longer than one send can take (connect and answer timeouts), or it is sent twice. */
  visibilityTimeoutMs?: number;
}

/**
 * The consumer of `push.deliver`: reads the webhook's config again (a deleted one is not
 * called), sends, and lets the bus's retry policy deal with failures. A notification that
 * outlives its retries or is refused for good is dead-lettered, recorded as events.
 */
export function startPushDelivery(options: PushDeliveryOptions): Promise<Consumer> {
  const { sender, logger } = options;

  async function deliver(message: BusMessage<PushDeliveryJob>, signal: AbortSignal) {
    const job = message.payload;
    const task = await options.task(job.taskId, job.tenant);
    const config: PushConfig | undefined = task?.pushConfigs?.find((c) => c.id === job.configId);
    // Deleted since (or its task is gone): nothing more goes to it (§3.1.10).
    if (!config) return;
    const outcome = await sender.send(
      {
        url: config.url,
        body: JSON.stringify(job.response),
        id: job.notificationId,
        taskId: job.taskId,
        ...(config.token ? { token: config.token } : {}),
        ...(config.authentication ? { authentication: config.authentication } : {}),
      },
      signal,
    );
    const where = { taskId: job.taskId, configId: job.configId, attempt: message.attempt };
    if (outcome.kind === 'rejected') throw new WebhookRejected(outcome.reason);
    if (outcome.kind === 'retry') {
      logger.info('push notification not delivered: will retry', { ...where, why: outcome.reason });
      throw new WebhookUnavailable(outcome.reason);
    }
    logger.debug('push notification delivered', { ...where, status: outcome.status });
  }

  return options.bus.subscribe<PushDeliveryJob>(PUSH_DELIVER_TOPIC, deliver, {
    group: PUSH_GROUP,
    concurrency: options.concurrency ?? 16,
    retry: options.retry,
    ...(options.visibilityTimeoutMs ? { visibilityTimeoutMs: options.visibilityTimeoutMs } : {}),
  });
}
