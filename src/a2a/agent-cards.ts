import type { AgentCard } from '../protocol/index.js';
import type { EnabledAuth } from './card-security.js';
import type { CardSigner } from './card-signing.js';
import { A2aError } from './errors.js';
import {
  extendedCard,
  type GatewayFeatures,
  type HostedAgent,
  publicCard,
} from './hosted-agents.js';

export interface AgentCardsOptions {
  /** What the cards announce as the ways to authenticate; none: cards claim no security. */
  auth?: EnabledAuth;
  /** Signs every card served (§8.4); none: cards go unsigned. */
  signer?: CardSigner;
  /** Cards kept, one per agent, base URL, tenant and kind; the oldest go first. */
  maxCached?: number;
  /** What the gateway turns on for every agent (push notifications). */
  features?: GatewayFeatures;
}

/** The cards of the hosted agents as served: with their security, signed, and cached. */
export interface AgentCards {
  /** The public card (§8.2). Same arguments, same object, until it falls out of the cache. */
  public(agent: HostedAgent, baseUrl: string, tenant?: string): Promise<AgentCard>;
  /**
   * The card for authenticated callers (§3.1.11); the caller checks authentication. Throws
   * A2aError UNSUPPORTED_OPERATION when the agent has none: its public card then says
   * `extendedAgentCard: false`, and §3.3.4 asks for that error.
   */
  extended(agent: HostedAgent, baseUrl: string, tenant?: string): Promise<AgentCard>;
}

function unavailable(agent: HostedAgent): A2aError {
  return new A2aError(
    'AGENT_UNAVAILABLE',
    `agent ${agent.name} has no card yet: ${agent.unavailable}`,
  );
}

/**
 * Signing costs a private-key operation: each card is built and signed once per agent, base
 * URL and tenant, then kept. The base URL may follow the request's Host, so the cache is
 * bounded. A failed signing is not kept: the next request tries again.
 */
export function createAgentCards(options: AgentCardsOptions = {}): AgentCards {
  const { auth, signer, features } = options;
  const maxCached = options.maxCached ?? 1_000;
  const cache = new Map<string, Promise<AgentCard>>();

  function cached(key: string, baseUrl: string, build: () => AgentCard): Promise<AgentCard> {
    const hit = cache.get(key);
    if (hit) {
      // Most recently used goes last, so eviction takes the least recently used.
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const card = signed(build(), baseUrl);
    cache.set(key, card);
    card.catch(() => cache.delete(key));
    if (cache.size > maxCached) cache.delete(cache.keys().next().value!);
    return card;
  }

  async function signed(card: AgentCard, baseUrl: string): Promise<AgentCard> {
    if (!signer) return card;
    return { ...card, signatures: [await signer(card, baseUrl.replace(/\/+$/, ''))] };
  }

  // The revision moves on whenever an agent's card changes: older cards are not served again.
  const keyOf = (kind: string, agent: HostedAgent, baseUrl: string, tenant?: string) =>
    JSON.stringify([kind, agent.name, agent.revision, baseUrl, tenant ?? '']);

  return {
    public(agent, baseUrl, tenant) {
      if (agent.unavailable) return Promise.reject(unavailable(agent));
      return cached(keyOf('public', agent, baseUrl, tenant), baseUrl, () =>
        publicCard(agent, baseUrl, tenant, auth, features),
      );
    },
    extended(agent, baseUrl, tenant) {
      if (agent.unavailable) return Promise.reject(unavailable(agent));
      if (!agent.extendedCard) {
        return Promise.reject(
          new A2aError('UNSUPPORTED_OPERATION', `agent ${agent.name} has no extended agent card`),
        );
      }
      return cached(
        keyOf('extended', agent, baseUrl, tenant),
        baseUrl,
        () => extendedCard(agent, baseUrl, tenant, auth, features)!,
      );
    },
  };
}
