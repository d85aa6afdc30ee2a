import { z } from 'zod';
import type { BusTransport, Envelope, Receiver, SendResult } from './transport.js';

export const CompositeRoutesSchema = z.strictObject({
  /**
   * `first-match`: a message goes to the first route that matches it, else to the default.
   * `fan-out`: to the default and to every route that matches: the gateway's consumers read
   * the default, the others are copies for consumers outside it.
   */
  strategy: z.enum(['first-match', 'fan-out']).default('first-match'),
  routes: z
    .array(
      z.strictObject({
        /** Topic patterns; `*` stands for any characters: `push.*`. */
        topics: z.array(z.string().min(1)).min(1),
        /** Only messages of these tenants (their `tenant` header). */
        tenants: z.array(z.string().min(1)).min(1).optional(),
        adapter: z.string().min(1),
      }),
    )
    .default([]),
  default: z.string().min(1),
});
export type CompositeRoutes = z.infer<typeof CompositeRoutesSchema>;

function pattern(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Several adapters as one transport, routed by topic and tenant: push deliveries on Redis,
 * the rest in the database, say. Every adapter name in the routes must be in `adapters`.
 */
export function createCompositeTransport(
  routes: CompositeRoutes,
  adapters: Record<string, BusTransport>,
): BusTransport {
  const compiled = routes.routes.map((route) => ({
    ...route,
    patterns: route.topics.map(pattern),
  }));
  for (const name of [routes.default, ...routes.routes.map((r) => r.adapter)]) {
    if (!adapters[name])
      throw new Error(`bus routes name the adapter ${name}, which is not configured`);
  }
  const adapter = (name: string): BusTransport => adapters[name] as BusTransport;
  const topicMatches = (route: (typeof compiled)[number], topic: string) =>
    route.patterns.some((p) => p.test(topic));

  function targets(envelope: Envelope): string[] {
    const tenant = envelope.headers.tenant;
    const matching = compiled.filter(
      (route) =>
        topicMatches(route, envelope.topic) &&
        (route.tenants === undefined || (tenant !== undefined && route.tenants.includes(tenant))),
    );
    if (routes.strategy === 'fan-out') {
      return [...new Set([routes.default, ...matching.map((r) => r.adapter)])];
    }
    return [matching[0]?.adapter ?? routes.default];
  }

  /** Where a topic's messages for the gateway's own consumers may be. */
  function sources(topic: string): string[] {
    if (routes.strategy === 'fan-out') return [routes.default];
    const found: string[] = [];
    for (const route of compiled) {
      if (!topicMatches(route, topic)) continue;
      found.push(route.adapter);
      if (route.tenants === undefined) return [...new Set(found)];
    }
    return [...new Set([...found, routes.default])];
  }

  const used = () => [...new Set([routes.default, ...routes.routes.map((r) => r.adapter)])];

  return {
    kind: 'composite',
    async send(envelopes) {
      const byAdapter = new Map<string, { index: number; envelope: Envelope }[]>();
      const primary = envelopes.map((envelope, index) => {
        const names = targets(envelope);
        for (const name of names) {
          const list = byAdapter.get(name) ?? [];
          list.push({ index, envelope });
          byAdapter.set(name, list);
        }
        return names[0] as string;
      });
      const results: SendResult[] = new Array(envelopes.length);
      await Promise.all(
        [...byAdapter].map(async ([name, items]) => {
          const sent = await adapter(name).send(items.map((item) => item.envelope));
          for (const [i, item] of items.entries()) {
            if (primary[item.index] === name) results[item.index] = sent[i] as SendResult;
          }
        }),
      );
      return results;
    },
    async receive(topic, options, deliver) {
      const receivers: Receiver[] = [];
      for (const name of sources(topic)) {
        receivers.push(await adapter(name).receive(topic, options, deliver));
      }
      return {
        pause: () => {
          for (const r of receivers) r.pause();
        },
        resume: () => {
          for (const r of receivers) r.resume();
        },
        close: async () => {
          await Promise.all(receivers.map((r) => r.close()));
        },
      };
    },
    async depth(topic, group) {
      let total = 0;
      for (const name of sources(topic)) total += await adapter(name).depth(topic, group);
      return total;
    },
    async health() {
      const parts = await Promise.all(
        used().map(async (name) => {
          const health = await adapter(name)
            .health()
            .catch((error: unknown) => ({ ok: false, detail: String(error) }));
          return { name, ...health };
        }),
      );
      return {
        ok: parts.every((p) => p.ok),
        detail: parts.map((p) => `${p.name}: ${p.ok ? 'ok' : 'DOWN'} (${p.detail})`).join('; '),
      };
    },
    async close() {
      await Promise.all(used().map((name) => adapter(name).close()));
    },
  };
}
