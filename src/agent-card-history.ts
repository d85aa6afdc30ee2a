import { z } from 'zod';
import type { EventRegistry } from './events/index.js';
import type { CardContent } from './executors/index.js';
import { ConcurrencyError, type EventStore } from './store/index.js';

/**
 * What an MCP server's tools or an upstream agent's card said when it became an agent's card:
 * recorded once per change, in the agent's stream, so the audit shows which card callers saw.
 */
export const AgentCardObservedSchema = z.object({
  agent: z.string().min(1),
  kind: z.enum(['mcp', 'a2a']),
  origin: z.string().min(1),
  version: z.string().optional(),
  digest: z.string().min(1),
  skills: z.array(z.string()),
});

export const AGENT_CARD_OBSERVED = 'agent.card_observed';

export function registerAgentEvents(registry: EventRegistry): EventRegistry {
  return registry.register({
    type: AGENT_CARD_OBSERVED,
    version: 1,
    schema: AgentCardObservedSchema,
  });
}

export const agentStreamId = (agent: string) => `agent-${agent}`;

/**
 * Appends the content's digest unless the agent's last record has it already. A replica that
 * records the same change at the same moment loses the race (expected version): one record.
 */
export async function recordCardContent(
  store: EventStore,
  agent: string,
  content: CardContent,
): Promise<boolean> {
  const streamId = agentStreamId(agent);
  const [last] = await store.readStream(streamId, { direction: 'backwards', limit: 1 });
  if ((last?.data as { digest?: string } | undefined)?.digest === content.source.digest)
    return false;
  const data: z.infer<typeof AgentCardObservedSchema> = {
    agent,
    kind: content.source.kind,
    origin: content.source.origin,
    ...(content.source.version ? { version: content.source.version } : {}),
    digest: content.source.digest,
    skills: content.skills.map((skill) => skill.id),
  };
  try {
    await store.append(
      streamId,
      [{ type: AGENT_CARD_OBSERVED, data, metadata: { source: 'gateway' } }],
      {
        expectedVersion: last?.streamVersion ?? 'no_stream',
      },
    );
    return true;
  } catch (error) {
    if (error instanceof ConcurrencyError) return false;
    throw error;
  }
}
