import { createHash } from 'node:crypto';
import { Agent, type Dispatcher, request } from 'undici';
import { describeCause, traceHeaders } from '../observability/index.js';
import type { AuthenticationInfo } from '../protocol/index.js';
import { type UrlGuard, WebhookUrlRefused } from './url-guard.js';

/** Claims of the JWT the gateway signs for each notification (verifiable with its JWKS). */
export interface NotificationClaims {
  /** The gateway. */
  iss: string;
  /** The webhook URL the notification was sent to. */
  aud: string;
  iat: number;
  exp: number;
  /** The notification id (also `X-A2A-Notification-Id`): the same on every retry. */
  jti: string;
  task_id: string;
  /** Hex SHA-256 of the request body, as sent. */
  body_sha256: string;
}

/** Signs the claims as a compact JWS (the composition root holds the key). */
export type NotificationSigner = (claims: NotificationClaims) => Promise<string>;

export const NOTIFICATION_HEADERS = {
  id: 'x-a2a-notification-id',
  token: 'x-a2a-notification-token',
  jwt: 'x-a2a-notification-jwt',
} as const;

export interface Notification {
  url: string;
  /** The StreamResponse (§4.3.3), serialised once: what is signed is what is sent. */
  body: string;
  id: string;
  taskId: string;
  /** The config's `token`, sent back as `X-A2A-Notification-Token`. */
  token?: string;
  /** The config's `authentication` (§4.3.2): `Authorization: <scheme> <credentials>`. */
  authentication?: AuthenticationInfo;
}

/** How one POST went: delivered (2xx), worth trying again, or never going to work. */
export type SendOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; reason: string }
  | { kind: 'rejected'; reason: string };

export interface WebhookSenderOptions {
  guard: UrlGuard;
  sign: NotificationSigner;
  /** `iss` of the notification JWTs: the gateway's public URL (known once it listens). */
  issuer: () => string;
  /** The receiver must accept the connection within this... */
  connectTimeoutMs: number;
  /** ...and answer, headers and body, within this. */
  timeoutMs: number;
  /** Lifetime of the notification JWT. */
  jwtTtlS: number;
  now?: () => number;
}

export interface WebhookSender {
  send(notification: Notification, signal?: AbortSignal): Promise<SendOutcome>;
  /** Closes every connection; a send still running fails (and is retried by the bus). */
  close(): Promise<void>;
}

/** Bytes of a receiver's answer read (for the log) before the rest is dropped. */
const MAX_ANSWER_BYTES = 2_048;

/**
 * POSTs notifications to webhooks: the guard checks every URL, connections to hosts that are
 * not allow-listed resolve through the guard (the address checked is the one connected to),
 * redirects are never followed, every phase is bounded, and an answer is read only in part.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const now = options.now ?? Date.now;
  const agent = (lookup?: UrlGuard['lookup']) =>
    new Agent({
      connect: { timeout: options.connectTimeoutMs, ...(lookup ? { lookup } : {}) },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
    });
  const guarded = agent(options.guard.lookup);
  const allowListed = agent();

  async function headersFor(notification: Notification, url: URL) {
    const iat = Math.floor(now() / 1_000);
    const jwt = await options.sign({
      iss: options.issuer(),
      aud: url.href,
      iat,
      exp: iat + options.jwtTtlS,
      jti: notification.id,
      task_id: notification.taskId,
      body_sha256: createHash('sha256').update(notification.body).digest('hex'),
    });
    const auth = notification.authentication;
    return {
      'content-type': 'application/a2a+json',
      'user-agent': 'a2a-gateway-push',
      [NOTIFICATION_HEADERS.id]: notification.id,
      [NOTIFICATION_HEADERS.jwt]: jwt,
      ...(notification.token ? { [NOTIFICATION_HEADERS.token]: notification.token } : {}),
      ...(auth
        ? { authorization: auth.credentials ? `${auth.scheme} ${auth.credentials}` : auth.scheme }
        : {}),
      // The delivery's span, when the gateway traces: the receiver may join the task's trace.
      ...traceHeaders(),
    };
  }

  return {
    async send(notification, signal) {
      let target: ReturnType<UrlGuard['target']>;
      try {
        target = options.guard.target(notification.url);
      } catch (error) {
        if (error instanceof WebhookUrlRefused) return { kind: 'rejected', reason: error.message };
        throw error;
      }
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const headers = await headersFor(notification, target.url);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(target.url, {
          method: 'POST',
          headers,
          body: notification.body,
          dispatcher: target.allowListed ? allowListed : guarded,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const refused = findCause(error, WebhookUrlRefused);
        if (refused) return { kind: 'rejected', reason: refused.message };
        if (timeout.aborted)
          return { kind: 'retry', reason: `no answer within ${options.timeoutMs} ms` };
        return { kind: 'retry', reason: describeCause(error) };
      }
      const { statusCode: status } = response;
      const answer = await readSome(response.body).catch(() => '');
      return classify(status, answer, response.headers.location);
    },
    async close() {
      await Promise.all([guarded.destroy(), allowListed.destroy()]).catch(() => {});
    },
  };
}

/** §4.3.3: 2xx acknowledges; 408, 429 and 5xx may pass later; anything else will not. */
function classify(
  status: number,
  answer: string,
  location: string | string[] | undefined,
): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const said = answer ? `: ${answer.slice(0, 200)}` : '';
  if (status === 408 || status === 429 || status >= 500)
    return { kind: 'retry', reason: `the webhook answered ${status}${said}` };
  if (status >= 300 && status < 400)
    return {
      kind: 'rejected',
      reason: `the webhook answered ${status} (to ${String(location ?? 'nowhere')}): redirects are not followed`,
    };
  return { kind: 'rejected', reason: `the webhook answered ${status}${said}` };
}

/** The first bytes of an answer as text; the rest is dropped unread. */
async function readSome(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= MAX_ANSWER_BYTES) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
}

function findCause<T extends Error>(
  error: unknown,
  type: new (...args: never[]) => T,
): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    if (current instanceof type) return current;
    if (current instanceof AggregateError) {
      const inner = current.errors.find((e) => e instanceof type);
      if (inner) return inner as T;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
