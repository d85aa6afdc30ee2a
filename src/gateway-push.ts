import { type JSONWebKeySet, SignJWT } from 'jose';
import type { PushSupport } from './a2a/index.js';
import { type AuthorizationServer, createSigningKeyRing } from './auth/index.js';
import type { Bus, Consumer } from './bus/index.js';
import type { Config } from './config/index.js';
import type { Logger } from './observability/index.js';
import {
  createUrlGuard,
  createWebhookSender,
  type NotificationSigner,
  type PushDispatcher,
  startPushDelivery,
  startPushDispatcher,
} from './push/index.js';
import type { EventStore, SqlClient } from './store/index.js';
import type { TaskCommands } from './tasks/index.js';

export interface GatewayPush {
  /** For the A2A service: the push methods are served, webhook URLs checked. */
  support: PushSupport;
  /**
   * The keys notification JWTs are verified with, for `/.well-known/jwks.json` when the
   * authorization server (which serves the same ring there) is off.
   */
  jwks: () => Promise<JSONWebKeySet>;
  /**
   * Stops publishing, lets deliveries in flight finish (within `SHUTDOWN_TIMEOUT_MS`), then
   * closes the connections: a delivery cut short comes back from the bus later.
   */
  stop(): Promise<void>;
}

export interface GatewayPushDeps {
  store: EventStore;
  views: SqlClient;
  commands: TaskCommands;
  bus: Bus;
  /** With `AUTH_SERVER`: its key ring signs notifications too (one JWKS for both). */
  authServer?: AuthorizationServer;
  /** The gateway's public URL: `iss` of notification JWTs, where its JWKS is. */
  issuer: () => string;
  logger: Logger;
}

/**
 * Push notifications as the configuration asks (`PUSH_NOTIFICATIONS`, on by default): the URL
 * guard, the JWT signer over the gateway's signing key ring, the dispatcher publishing
 * `push.deliver` jobs and the consumer sending them. Undefined when push is off.
 */
export async function startGatewayPush(
  config: Config,
  deps: GatewayPushDeps,
): Promise<GatewayPush | undefined> {
  if (!config.PUSH_NOTIFICATIONS) return undefined;
  const logger = deps.logger.child({ component: 'push' });
  // The ring the authorization server uses, or the same table read on its own: one set of
  // gateway keys, one JWKS, whichever features are on.
  const ring =
    deps.authServer?.keys ??
    (await createSigningKeyRing({
      client: deps.views,
      schema: config.DATABASE_SCHEMA,
      algorithm: config.SIGNING_KEY_ALG,
      maxLifetimeS: config.PUSH_JWT_TTL_S,
      ...(config.SIGNING_KEY_FILE ? { keyFile: config.SIGNING_KEY_FILE } : {}),
    }));
  const sign: NotificationSigner = async (claims) => {
    const key = await ring.active();
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey);
  };
  const guard = createUrlGuard({ allowHosts: config.PUSH_ALLOW_HOSTS });
  const sender = createWebhookSender({
    guard,
    sign,
    issuer: deps.issuer,
    connectTimeoutMs: config.PUSH_CONNECT_TIMEOUT_MS,
    timeoutMs: config.PUSH_TIMEOUT_MS,
    jwtTtlS: config.PUSH_JWT_TTL_S,
  });
  let delivery: Consumer | undefined;
  let dispatcher: PushDispatcher | undefined;
  try {
    delivery = await startPushDelivery({
      bus: deps.bus,
      sender,
      task: (taskId, tenant) => deps.commands.get(taskId, tenant, { pushConfigs: true }),
      logger,
      retry: {
        kind: 'exponential',
        baseMs: config.PUSH_RETRY_BASE_MS,
        maxMs: config.PUSH_RETRY_MAX_MS,
        maxAttempts: config.PUSH_MAX_ATTEMPTS,
        jitter: true,
      },
      // A send may take its connect and answer timeouts: held longer, it would be sent twice.
      visibilityTimeoutMs: Math.max(
        30_000,
        2 * (config.PUSH_CONNECT_TIMEOUT_MS + config.PUSH_TIMEOUT_MS),
      ),
    });
    dispatcher = await startPushDispatcher({ store: deps.store, bus: deps.bus, logger });
  } catch (error) {
    await delivery?.drain();
    await sender.close();
    throw error;
  }
  const started = { delivery, dispatcher };
  return {
    support: { refuseUrl: (url) => guard.refuse(url) },
    jwks: () => ring.publicJwks(),
    async stop() {
      await started.dispatcher.stop();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        started.delivery.drain(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, config.SHUTDOWN_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      await sender.close();
    },
  };
}
