import type { Env, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { JSONWebKeySet } from 'jose';
import {
  type AuthorizationServer,
  type DenialRecorder,
  OAUTH_PATHS,
  type RateLimiter,
} from '../auth/index.js';
import type { Logger } from '../observability/index.js';

export interface OAuthRoutesOptions {
  server: Pick<AuthorizationServer, 'token' | 'keys' | 'metadata'>;
  logger: Logger;
  /** The security audit: refused client authentications land there too. */
  denials?: DenialRecorder;
  /** Token requests per remote address: guessing secrets is slow. */
  rateLimiter?: RateLimiter;
  /** A token request is a short form, a client assertion its largest part. Default 16 KiB. */
  maxBodyBytes?: number;
}

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/**
 * The built-in authorization server over HTTP: `POST /oauth/token` (client credentials),
 * `GET /.well-known/jwks.json` and `GET /.well-known/oauth-authorization-server` (RFC 8414).
 */
export function mountOAuthRoutes<E extends Env>(app: Hono<E>, options: OAuthRoutesOptions): void {
  const { server, logger } = options;

  app.post(
    OAUTH_PATHS.token,
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 16 * 1024,
      onError: (c) => c.json({ error: 'invalid_request' }, 413, NO_STORE),
    }),
    async (c) => {
      // RFC 6749 §4.4.2: the parameters come as a form, never in the query or as JSON.
      if (!FORM.test(c.req.header('content-type') ?? ''))
        return c.json({ error: 'invalid_request' }, 400, NO_STORE);
      const remoteAddress = (c.env as { incoming?: { socket: { remoteAddress?: string } } })
        ?.incoming?.socket.remoteAddress;
      const wait = options.rateLimiter?.retryAfterKeyS(`token\n${remoteAddress ?? ''}`) ?? 0;
      if (wait > 0) {
        return c.json({ error: 'slow_down' }, 429, { ...NO_STORE, 'Retry-After': String(wait) });
      }
      try {
        const authorization = c.req.header('authorization');
        const response = await server.token({
          form: new URLSearchParams(await c.req.text()),
          ...(authorization !== undefined ? { authorization } : {}),
        });
        if (response.status === 200) logger.info('token issued', response.log);
        else {
          logger.warn('token request refused', response.log);
          if (response.status === 401)
            options.denials?.record({
              kind: 'unauthenticated',
              principal: response.log.clientId ?? 'anonymous',
              reason: `token endpoint: ${response.log.reason ?? response.log.error}`,
              path: c.req.path,
              ...(remoteAddress ? { remoteAddress } : {}),
            });
        }
        return c.json(response.body, response.status, response.headers);
      } catch (error) {
        logger.error('token endpoint failed', { error });
        return c.json({ error: 'server_error' }, 500, NO_STORE);
      }
    },
  );

  mountJwksRoute(app, () => server.keys.publicJwks());

  app.get(OAUTH_PATHS.metadata, (c) =>
    c.json(server.metadata, 200, { 'Cache-Control': 'public, max-age=3600' }),
  );
}

/**
 * `GET /.well-known/jwks.json`: the gateway's public signing keys, with which its tokens, its
 * cards and its push notifications are verified.
 */
export function mountJwksRoute<E extends Env>(
  app: Hono<E>,
  jwks: () => Promise<JSONWebKeySet>,
): void {
  // Verifiers refetch on a kid they do not know; the cache only spares the steady state.
  app.get(OAUTH_PATHS.jwks, async (c) =>
    c.json(await jwks(), 200, { 'Cache-Control': 'public, max-age=60' }),
  );
}
