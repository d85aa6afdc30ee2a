import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamExecutor } from '../../../src/executors/a2a/index.js';
import { A2aExecutorSpecSchema } from '../../../src/executors/a2a/spec.js';
import type { HostedExecutor } from '../../../src/executors/index.js';
import { eventually } from '../../support/collect.js';
import { startUpstreamAgent } from '../../support/upstream-agent.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

function executorFor(cardUrl: string, extra: Record<string, unknown> = {}): HostedExecutor {
  const spec = A2aExecutorSpecSchema.parse({ kind: 'a2a', cardUrl, ...extra });
  return createUpstreamExecutor(spec, {
    agent: 'proxied',
    baseDir: '.',
    timeoutMs: 10_000,
    log: silent,
    gateway: { id: 'gw', maxDelegationDepth: 8 },
  });
}

describe('the upstream card over an executor’s life', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function upstreamAgent(options?: Parameters<typeof startUpstreamAgent>[0]) {
    const agent = await startUpstreamAgent(options);
    cleanups.push(() => agent.close());
    return agent;
  }
  function executor(cardUrl: string, extra?: Record<string, unknown>) {
    const created = executorFor(cardUrl, extra);
    cleanups.push(() => created.close());
    return created;
  }

  it('gives card content from the upstream card: who it is, its skills, and where it came from', async () => {
    const upstream = await upstreamAgent();
    const hosted = executor(upstream.cardUrl);
    expect(hosted.name).toBe(`a2a:${upstream.cardUrl}`);
    expect(hosted.claim).toBe('before-run');
    await hosted.start();
    const content = hosted.card()!;
    expect(content).toMatchObject({
      name: 'Reference upstream',
      version: '1.2.3',
      provider: { organization: 'A2A gateway tests', url: 'https://example.org/tests' },
      documentationUrl: 'https://example.org/tests/upstream',
      defaultInputModes: ['text/plain'],
      defaultOutputModes: ['text/plain'],
      source: { kind: 'a2a', origin: upstream.cardUrl, version: '1.2.3' },
    });
    expect(content.skills.map((skill) => skill.id)).toEqual(['echo']);
    const served = await (await fetch(upstream.cardUrl)).text();
    expect(content.source.digest).toBe(createHash('sha256').update(served).digest('hex'));
    expect(hosted.health()).toEqual({ status: 'up', breaker: 'closed' });
  });

  it('refetches the card and tells its listeners when it changed', async () => {
    const upstream = await upstreamAgent();
    const hosted = executor(upstream.cardUrl, { cardRefreshMs: 1_000 });
    await hosted.start();
    const before = hosted.card()!.source.digest;
    let changes = 0;
    hosted.onCardChange(() => {
      changes += 1;
    });
    upstream.updateCard({ version: '2.0.0' });
    await eventually(() => changes > 0, 10_000);
    expect(hosted.card()!.version).toBe('2.0.0');
    expect(hosted.card()!.source.digest).not.toBe(before);
  });

  it('an upstream down at start: start resolves, health says why, the card comes once it is up', async () => {
    const upstream = await upstreamAgent();
    await upstream.stop();
    const hosted = executor(upstream.cardUrl, {
      retry: { attempts: 2, initialDelayMs: 50, maxDelayMs: 200 },
      breaker: { failureThreshold: 1_000 },
    });
    let changes = 0;
    hosted.onCardChange(() => {
      changes += 1;
    });
    await hosted.start();
    expect(hosted.card()).toBeUndefined();
    const health = hosted.health();
    expect(health.status).toBe('down');
    expect(health.detail).toMatch(
      new RegExp(
        `^upstream ${upstream.cardUrl} unavailable: .*ECONNREFUSED.*; next try in \\d+ s$`,
      ),
    );
    await upstream.restart();
    await eventually(() => hosted.card() !== undefined, 10_000);
    expect(changes).toBe(1);
    expect(hosted.health().status).toBe('up');
  });

  it('a card with no JSON-RPC interface it can speak leaves the agent without a card, saying why', async () => {
    const upstream = await upstreamAgent();
    upstream.updateCard({
      supportedInterfaces: [{ url: upstream.url, protocolBinding: 'GRPC', protocolVersion: '1.0' }],
    });
    const hosted = executor(upstream.cardUrl);
    await hosted.start();
    expect(hosted.card()).toBeUndefined();
    expect(hosted.health().detail).toContain(
      `upstream ${upstream.cardUrl} has no usable agent card: it offers no JSON-RPC interface for A2A 1.0 or 0.3 (it offers: GRPC 1.0)`,
    );
  });
});
