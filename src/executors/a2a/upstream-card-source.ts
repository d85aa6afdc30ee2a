import type { ExecutorLog } from '../hosted-executor.js';
import { backoffDelay, type RetryPolicy } from './backoff.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { readUpstreamCard, type UpstreamCard } from './upstream-card.js';
import { UpstreamError, UpstreamHttpError, UpstreamUnavailableError } from './upstream-errors.js';
import type { UpstreamHttp } from './upstream-http.js';

/** The upstream card, kept current: fetched at start, again every `refreshMs`. */
export interface UpstreamCardSource {
  /** The first fetch: one try; on failure it keeps trying in the background (and says so). */
  start(): Promise<void>;
  current(): UpstreamCard | undefined;
  /** The card now; fetched (one try) when none is known yet. */
  get(): Promise<UpstreamCard>;
  onChange(listener: () => void): () => void;
  /** Why the last fetch failed, and when the next try is; undefined after a success. */
  problem(): string | undefined;
  stop(): void;
}

export function createUpstreamCardSource(options: {
  cardUrl: string;
  http: UpstreamHttp;
  breaker: CircuitBreaker;
  retry: RetryPolicy;
  refreshMs: number;
  log: ExecutorLog;
  agent: string;
}): UpstreamCardSource {
  const { cardUrl, http, breaker, log, agent } = options;
  let card: UpstreamCard | undefined;
  let failure: { message: string; nextTryAt: number } | undefined;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inFlight: Promise<UpstreamCard> | undefined;
  const listeners = new Set<() => void>();

  /** One GET of the card, through the breaker: no answer or garbage counts against it. */
  const fetchOnce = () =>
    breaker.guard(async () => {
      // A card is public (§8.2): no credentials, which an OAuth token could not have yet anyway.
      const response = await http.fetchText(cardUrl, {
        method: 'GET',
        headers: { accept: 'application/json' },
      });
      if (response.status >= 500 || response.status === 429)
        throw new UpstreamUnavailableError(cardUrl, `HTTP ${response.status} for its agent card`);
      if (response.status !== 200)
        throw new UpstreamHttpError(cardUrl, response.status, 'for its agent card');
      return readUpstreamCard(cardUrl, response.text);
    });

  const fetchCard = () => {
    inFlight ??= fetchOnce()
      .then((fetched) => {
        const changed = fetched.digest !== card?.digest;
        const first = card === undefined;
        card = fetched;
        failure = undefined;
        failures = 0;
        if (changed) {
          log.info(first ? 'upstream card fetched' : 'upstream card changed', {
            agent,
            upstream: cardUrl,
            version: fetched.card.version,
            protocol: fetched.endpoint.protocol,
            endpoint: fetched.endpoint.url,
            streaming: fetched.streaming,
          });
          for (const listener of listeners) listener();
        }
        return fetched;
      })
      .catch((error: unknown) => {
        if (!(error instanceof UpstreamError)) throw error;
        failures += 1;
        failure = { message: error.message, nextTryAt: Date.now() + nextDelay() };
        throw error;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  /** Soon after failures (backoff), else at the refresh period. */
  const nextDelay = () =>
    failures === 0
      ? options.refreshMs
      : Math.min(
          options.refreshMs,
          Math.max(options.retry.initialDelayMs, backoffDelay(failures - 1, options.retry)),
        );

  const schedule = () => {
    if (stopped) return;
    clearTimeout(timer);
    const delay = failure ? Math.max(0, failure.nextTryAt - Date.now()) : nextDelay();
    timer = setTimeout(() => {
      fetchCard()
        .catch((error: unknown) => {
          if (stopped) return;
          log.warn(card ? 'upstream card refresh failed' : 'upstream card still unavailable', {
            agent,
            upstream: cardUrl,
            error: error instanceof Error ? error.message : String(error),
          });
        })
        .finally(schedule);
    }, delay);
    // Refreshing the card never keeps the process alive.
    timer.unref();
  };

  return {
    async start() {
      try {
        await fetchCard();
      } catch (error) {
        log.warn('upstream card unavailable at start; trying again in the background', {
          agent,
          upstream: cardUrl,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      schedule();
    },
    current: () => card,
    get: async () => card ?? fetchCard(),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    problem() {
      if (!failure) return undefined;
      const inS = Math.max(0, Math.ceil((failure.nextTryAt - Date.now()) / 1_000));
      return `${failure.message}; next try in ${inS} s`;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
