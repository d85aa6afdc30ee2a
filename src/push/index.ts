export { embeddedIPv4, forbiddenRange } from './address-ranges.js';
export {
  PUSH_GROUP,
  type PushDeliveryOptions,
  startPushDelivery,
  WebhookRejected,
  WebhookUnavailable,
} from './push-delivery.js';
export {
  notificationId,
  PUSH_DELIVER_TOPIC,
  type PushDeliveryJob,
  type PushDispatcher,
  type PushDispatcherOptions,
  startPushDispatcher,
} from './push-dispatcher.js';
export {
  createUrlGuard,
  type ResolvedAddress,
  type UrlGuard,
  type UrlGuardOptions,
  type WebhookTarget,
  WebhookUrlRefused,
} from './url-guard.js';
export {
  createWebhookSender,
  NOTIFICATION_HEADERS,
  type Notification,
  type NotificationClaims,
  type NotificationSigner,
  type SendOutcome,
  type WebhookSender,
  type WebhookSenderOptions,
} from './webhook-sender.js';
