import { source } from '../source.js';

/**
 * `/ui/metrics.js`: the gateway at a glance from `/healthz`, and a few lines of Prometheus
 * `/metrics` when the gateway serves it (the panel stays hidden otherwise).
 */
export const METRICS_JS = source`
import { request } from '/ui/api.js';
import { badge, el, errorText, rawJson, replace } from '/ui/dom.js';

const POLL_MS = 5000;
const METRIC_LINES = 20;

export function showMetrics(view) {
  let stopped = false;
  let timer;
  const health = el('div', { class: 'panel', id: 'health' }, el('p', { class: 'muted' }, 'Loading /healthz…'));
  const metrics = el('div', { class: 'panel', id: 'metrics-panel', hidden: true });
  replace(view, el('h2', {}, 'Metrics'), health, metrics);

  async function load() {
    await Promise.all([loadHealth(), loadMetrics()]);
    if (!stopped) timer = setTimeout(load, POLL_MS);
  }

  async function loadHealth() {
    try {
      // /healthz answers without credentials: a 503 body still says what is wrong.
      const response = await fetch('/healthz', { cache: 'no-store' });
      const body = await response.json();
      if (stopped) return;
      const numbers = Object.entries(body).filter(([, value]) => typeof value === 'number');
      replace(health,
        el('h3', {}, 'Health ', badge(body.status)),
        el('dl', { class: 'kv' },
          el('dt', {}, 'store'), el('dd', {}, body.store ?? ''),
          body.reason ? [el('dt', {}, 'reason'), el('dd', {}, body.reason)] : null,
          numbers.map(([name, value]) => [el('dt', {}, name), el('dd', { dataset: { stat: name } }, String(value))]),
          Object.entries(body.agents ?? {}).map(([name, agent]) => [
            el('dt', {}, 'agent ' + name),
            el('dd', {}, badge(agent.status), agent.detail ? ' ' + agent.detail : '', agent.breaker ? ' breaker ' + agent.breaker : ''),
          ]),
        ),
        body.bus ? rawJson(body.bus, 'bus') : null,
      );
    } catch (failure) {
      if (!stopped) replace(health, el('p', { class: 'error' }, 'Health unavailable: ' + errorText(failure)));
    }
  }

  async function loadMetrics() {
    try {
      const response = await request('/metrics', { allowFailure: true, quiet: true });
      const type = response.headers.get('content-type') ?? '';
      if (!response.ok || !type.startsWith('text/plain')) throw new Error('no metrics');
      const lines = (await response.text()).split('\n').filter((line) => line && !line.startsWith('#'));
      if (stopped) return;
      metrics.hidden = false;
      replace(metrics,
        el('h3', {}, 'Prometheus /metrics'),
        el('p', { class: 'muted' }, 'First ' + Math.min(METRIC_LINES, lines.length) + ' of ' + lines.length + ' samples'),
        el('pre', { class: 'metrics-lines', id: 'metrics-lines' }, lines.slice(0, METRIC_LINES).join('\n')));
    } catch {
      metrics.hidden = true;
    }
  }

  load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
`;
