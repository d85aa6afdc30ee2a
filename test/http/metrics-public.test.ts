import { describe, expect, it } from 'vitest';
import { createAuthenticator, createJwtVerifier } from '../../src/auth/index.js';
import { createApp } from '../../src/http/index.js';
import { createGatewayMetrics, createLogger } from '../../src/observability/index.js';
import { createMemoryEventStore } from '../../src/store/index.js';

/** The HTTP app alone, authentication on (bearer JWTs: no issuer trusted, so none passes). */
function app(metricsPublic: boolean) {
  const logger = createLogger({ level: 'silent' });
  return createApp({
    store: createMemoryEventStore(),
    storeKind: 'memory',
    logger,
    auth: { authenticator: createAuthenticator({ jwt: createJwtVerifier([]) }), logger },
    metrics: createGatewayMetrics(),
    metricsPublic,
  });
}

describe('METRICS_PUBLIC', () => {
  it('false (the default): /metrics asks for credentials when authentication is on', async () => {
    const refused = await app(false).request('/metrics');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('true: anyone who reaches the port may scrape, and sees the requests counted', async () => {
    const open = app(true);
    expect((await open.request('/healthz')).status).toBe(200);
    const scraped = await open.request('/metrics');
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain(
      'a2a_http_requests_total{method="GET",route="/healthz",status="200"} 1',
    );
  });
});
