import type { ExecutorDeps, ExecutorHealth, HostedExecutor } from '../hosted-executor.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createForwardingExecutor } from './forward-run.js';
import type { A2aExecutorSpec } from './spec.js';
import { createUpstreamCardSource } from './upstream-card-source.js';
import { upstreamCalls } from './upstream-client.js';
import { createUpstreamAuth, type UpstreamAuth } from './upstream-credentials.js';
import { createUpstreamHttp } from './upstream-http.js';

export { TRACE_KEY } from './delegation-trace.js';
export { type A2aExecutorSpec, A2aExecutorSpecSchema } from './spec.js';

/**
 * A hosted agent that is a remote A2A agent, proxied: its card is the upstream's (refreshed),
 * each run forwards the message and mirrors the upstream task as our events. One connection
 * pool and one circuit breaker per upstream.
 */
export function createUpstreamExecutor(spec: A2aExecutorSpec, deps: ExecutorDeps): HostedExecutor {
  const upstream = spec.cardUrl;
  const { log, agent } = deps;
  const http = createUpstreamHttp(upstream, spec.requestTimeoutMs);
  const breaker = createCircuitBreaker(upstream, spec.breaker);
  const cards = createUpstreamCardSource({
    cardUrl: upstream,
    http,
    breaker,
    retry: spec.retry,
    refreshMs: spec.cardRefreshMs,
    log,
    agent,
  });
  let auth: UpstreamAuth | undefined;
  let started = false;
  const inFlight = new Set<Promise<void>>();

  const executor = createForwardingExecutor({
    upstream,
    hop: `${deps.gateway.id}/${agent}`,
    maxDelegationDepth: deps.gateway.maxDelegationDepth,
    async connect() {
      const card = await cards.get();
      const calls = upstreamCalls(
        {
          upstream,
          http,
          // Set by start(), which runs before any run.
          auth: () => auth!,
          breaker,
          retry: spec.retry,
          log,
        },
        card.endpoint,
      );
      return { card, calls };
    },
    streaming: spec.streaming,
    poll: spec.poll,
    retry: spec.retry,
    requestTimeoutMs: spec.requestTimeoutMs,
    track(work) {
      const settled = work.then(
        () => undefined,
        () => undefined,
      );
      inFlight.add(settled);
      void settled.finally(() => inFlight.delete(settled));
    },
    log,
  });

  return {
    executor,
    name: `a2a:${upstream}`,
    // The upstream acts on the world: a message must not be forwarded twice.
    claim: 'before-run',
    async start() {
      // A secret that is not set is a configuration error: it stops the start.
      auth = createUpstreamAuth(spec.credentials, {
        http,
        cardTokenUrl: () => cards.current()?.tokenUrl,
      });
      started = true;
      await cards.start();
    },
    card: () => cards.current()?.content,
    onCardChange: (listener) => cards.onChange(listener),
    health(): ExecutorHealth {
      const state = breaker.state();
      const base = { breaker: state };
      if (!started) return { status: 'starting', ...base };
      if (state === 'open') return { status: 'down', detail: breaker.describe()!, ...base };
      const problem = cards.problem();
      if (!cards.current())
        return problem
          ? { status: 'down', detail: problem, ...base }
          : { status: 'starting', detail: 'fetching the upstream card', ...base };
      if (state === 'half-open')
        return { status: 'degraded', detail: breaker.describe()!, ...base };
      if (problem)
        return { status: 'degraded', detail: `card refresh failed: ${problem}`, ...base };
      return { status: 'up', ...base };
    },
    async close() {
      cards.stop();
      // Cancels sent upstream for runs that just ended get one request's time to go out;
      // closing the pool then ends whatever is left.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(inFlight),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, spec.requestTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      await http.close();
    },
  };
}
