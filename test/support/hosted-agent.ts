import type { HostedAgent } from '../../src/a2a/index.js';

/** A hosted agent as loaded from its file, with one skill; `extra` overrides any field. */
export function aHostedAgent(extra: Partial<HostedAgent> = {}): HostedAgent {
  const card = {
    name: 'Echo',
    description: 'Echoes what it is sent.',
    version: '1.0.0',
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [{ id: 'echo', name: 'Echo', description: 'Echoes.', tags: ['echo'] }],
  };
  return {
    name: 'echo',
    isDefault: true,
    card,
    fileCard: card,
    extensions: [],
    revision: 0,
    baseDir: '.',
    executor: { kind: 'builtin', agent: 'echo' },
    timeoutMs: 10_000,
    onRestart: 'resume',
    requiredScopes: [],
    source: 'test',
    modifiedAt: new Date(0),
    ...extra,
  };
}

/** The same agent with an extended card: one more skill and a longer description. */
export function anAgentWithExtendedCard(extra: Partial<HostedAgent> = {}): HostedAgent {
  return aHostedAgent({
    extendedCard: {
      description: 'Echoes what it is sent, and more for those who sign in.',
      skills: [{ id: 'faults', name: 'Faults', description: 'Fails on request.', tags: ['test'] }],
    },
    ...extra,
  });
}
