import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { RpcEnv } from '../a2a/index.js';
import type { Authenticator } from '../auth/index.js';
import { UI_ASSETS } from '../ui/index.js';

/**
 * Only this origin's own files and APIs: no inline script or style, no frames around the
 * page, no form posting anywhere (the sign-in form is read by script; were script off, its
 * credential must not travel in a URL).
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': UI_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface UiRoutesOptions {
  /** What the gateway accepts, so the page knows whether and how to ask for a credential. */
  authenticator?: Pick<Authenticator, 'required' | 'bearer' | 'apiKeyHeader'>;
}

/**
 * `/ui`: the dashboard. Its files are static and hold no data, so they are served to anyone;
 * everything they show comes from the authenticated APIs with the credential the user enters.
 */
export function mountUiRoutes(app: Hono<RpcEnv>, options: UiRoutesOptions): void {
  const { authenticator } = options;
  const settings = JSON.stringify({
    authRequired: authenticator?.required ?? false,
    bearer: authenticator?.bearer ?? false,
    apiKeyHeader: authenticator?.apiKeyHeader ?? null,
  });
  const secure: MiddlewareHandler<RpcEnv> = async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
  };
  app.use('/ui', secure);
  app.use('/ui/*', secure);

  app.get('/ui/config.json', (c) =>
    c.body(settings, 200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
    }),
  );
  app.get('/ui', (c) => serve(c, ''));
  app.get('/ui/:file', (c) => serve(c, c.req.param('file')));
}

function serve(c: Context<RpcEnv>, name: string): Response {
  const asset = UI_ASSETS.get(name);
  if (!asset) return c.json({ error: 'not_found', message: `no dashboard file ${name}` }, 404);
  // Revalidated every time: a new gateway version's files are picked up at once.
  const headers = {
    ETag: asset.etag,
    'Cache-Control': 'no-cache',
    'Content-Type': asset.contentType,
  };
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
  return c.body(asset.body, 200, headers);
}
