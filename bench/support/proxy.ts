/**
 * The proxy phase of `npm run bench:a2a`: the gateway in front of the reference server. The
 * reference (the in-memory @a2a-js/sdk echo server) is measured directly, then through a
 * gateway whose only agent is an upstream A2A agent (`"kind": "a2a"`) pointing at it: every
 * upstream step becomes a stored event of the gateway's own task. Both servers run on core 0
 * (as a sidecar would share a machine), the load on core 1.
 *
 * Two loops, each direct and proxied: blocking SendMessage (echo, BENCH_CONCURRENCY in flight:
 * throughput), and `/delay 20 TEXT` (an upstream that takes 20 ms, BENCH_DELAY_CONCURRENCY in
 * flight: what the gateway adds to each call's latency).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadResult, Measure } from './a2a-load.js';
import { type GatewayName, runLoad, startTarget, type Target } from './a2a-targets.js';
import { stop } from './pinned-process.js';
import { progress, round } from './report.js';

export interface ProxyFigures {
  direct: Pick<LoadResult, 'send' | 'delay'>;
  proxied: Pick<LoadResult, 'send' | 'delay'>;
}

export interface ProxyOptions {
  seconds: number;
  concurrency: number;
  delayConcurrency: number;
}

/** The goal: the gateway keeps at least 70% of direct throughput. */
export const PROXY_GOAL = 0.7;

export async function proxyPhase(
  reference: Target,
  gateway: Target & { name: GatewayName },
  options: ProxyOptions,
): Promise<ProxyFigures> {
  const loads = { ...options, steps: ['send', 'delay'] as ('send' | 'delay')[] };
  const upstream = await startTarget(reference, {});
  const agents = await mkdtemp(join(tmpdir(), 'bench-proxy-agents-'));
  try {
    progress(`proxy: reference direct at ${upstream.url}`);
    const direct = await runLoad(upstream, loads);
    await writeFile(
      join(agents, 'proxied.json'),
      JSON.stringify({
        name: 'proxied',
        default: true,
        card: {},
        executor: {
          kind: 'a2a',
          cardUrl: `${upstream.server.base}/.well-known/agent-card.json`,
          requestTimeoutMs: 60_000,
        },
      }),
    );
    const store = await gateway.freshStore();
    const front = await startTarget(gateway, { ...store.env, AGENT_CARDS_DIR: agents });
    try {
      progress(`proxy: ${gateway.column} in front of the reference, at ${front.url}`);
      const proxied = await runLoad(front, loads);
      return { direct, proxied };
    } finally {
      await stop(front.server);
    }
  } finally {
    await stop(upstream.server);
    await rm(agents, { recursive: true, force: true });
  }
}

const r = (value: number | undefined, digits = 0) =>
  value === undefined ? null : round(value, digits);
/** CPU of the measured server per call: the gateway's alone, the reference runs apart. */
const cpuMsPerCall = (m?: Measure) =>
  m && m.perSec > 0 ? round((m.serverCpuPct / 100 / m.perSec) * 1_000, 3) : null;
const ratioOf = (a?: Measure, b?: Measure) =>
  a && b && b.perSec > 0 ? round(a.perSec / b.perSec, 2) : null;
const added = (a: Measure | undefined, b: Measure | undefined, key: 'p50Ms' | 'p99Ms') =>
  a && b ? round(a[key] - b[key], 1) : null;

/** What the JSON line and the table say about one gateway in front of the reference. */
export function proxySummary(figures: ProxyFigures) {
  const { direct, proxied } = figures;
  const throughput = ratioOf(proxied.send, direct.send);
  return {
    sendMessage: {
      directPerSec: r(direct.send?.perSec),
      proxiedPerSec: r(proxied.send?.perSec),
      ratio: throughput,
      addedP50Ms: added(proxied.send, direct.send, 'p50Ms'),
      addedP99Ms: added(proxied.send, direct.send, 'p99Ms'),
      referenceCpuMsPerCall: cpuMsPerCall(direct.send),
      gatewayCpuMsPerCall: cpuMsPerCall(proxied.send),
      errors: (proxied.send?.errors ?? 0) + (direct.send?.errors ?? 0),
    },
    delay20ms: {
      directP50Ms: r(direct.delay?.p50Ms, 1),
      proxiedP50Ms: r(proxied.delay?.p50Ms, 1),
      addedP50Ms: added(proxied.delay, direct.delay, 'p50Ms'),
      addedP99Ms: added(proxied.delay, direct.delay, 'p99Ms'),
      ratio: ratioOf(proxied.delay, direct.delay),
      errors: (proxied.delay?.errors ?? 0) + (direct.delay?.errors ?? 0),
    },
    goal: { min: PROXY_GOAL, met: throughput === null ? null : throughput >= PROXY_GOAL },
  };
}

export function proxyRows(name: string, figures: ProxyFigures): (string | number)[][] {
  const s = proxySummary(figures);
  const n = (value: number | null) => (value === null ? '-' : value);
  return [
    [
      `proxy ${name}: SendMessage req/s direct / proxied`,
      `${n(s.sendMessage.directPerSec)} / ${n(s.sendMessage.proxiedPerSec)}`,
    ],
    [`proxy ${name}: proxied ÷ direct (goal ≥ ${PROXY_GOAL})`, n(s.sendMessage.ratio)],
    [
      `proxy ${name}: SendMessage added p50 / p99 ms`,
      `${n(s.sendMessage.addedP50Ms)} / ${n(s.sendMessage.addedP99Ms)}`,
    ],
    [
      `proxy ${name}: server CPU ms per call: reference / gateway`,
      `${n(s.sendMessage.referenceCpuMsPerCall)} / ${n(s.sendMessage.gatewayCpuMsPerCall)}`,
    ],
    [
      `proxy ${name}: 20 ms upstream p50 direct / proxied ms`,
      `${n(s.delay20ms.directP50Ms)} / ${n(s.delay20ms.proxiedP50Ms)}`,
    ],
    [
      `proxy ${name}: 20 ms upstream added p50 / p99 ms`,
      `${n(s.delay20ms.addedP50Ms)} / ${n(s.delay20ms.addedP99Ms)}`,
    ],
    [`proxy ${name}: 20 ms upstream req/s proxied ÷ direct`, n(s.delay20ms.ratio)],
    [`proxy ${name}: errors (send; delay)`, `${s.sendMessage.errors}; ${s.delay20ms.errors}`],
  ];
}
