import type { Hono } from 'hono';
import type { RpcEnv } from '../a2a/index.js';

/** One thing the gateway needs to serve: its store, its migrations, its bus... */
export interface ReadinessCheck {
  name: string;
  /** Throws or says `ok: false` when not ready; `detail` says what a person should know. */
  check(): Promise<{ ok: boolean; detail?: string }>;
}

/** A check that has not answered within this is failed: a probe must not hang. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * `GET /readyz`: 200 when every check passes, else 503; the body lists each check with
 * ok/fail and a detail. `/healthz` says the process is alive; this says whether to send it
 * traffic (a load balancer's readiness probe).
 */
export function mountReadinessRoute(app: Hono<RpcEnv>, checks: readonly ReadinessCheck[]): void {
  app.get('/readyz', async (c) => {
    const results = await Promise.all(checks.map(run));
    const ready = results.every((result) => result.ok);
    return c.json(
      {
        status: ready ? 'ready' : 'not_ready',
        checks: Object.fromEntries(
          results.map(({ name, ok, detail }) => [
            name,
            { status: ok ? 'ok' : 'fail', ...(detail ? { detail } : {}) },
          ]),
        ),
      },
      ready ? 200 : 503,
      { 'Cache-Control': 'no-store' },
    );
  });
}

async function run(check: ReadinessCheck): Promise<{ name: string; ok: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: false; detail: string }>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    return { name: check.name, ...(await Promise.race([check.check(), timeout])) };
  } catch (error) {
    return {
      name: check.name,
      ok: false,
      detail: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}
