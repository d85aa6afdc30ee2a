import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cardSecurity,
  createAgentCards,
  type EnabledAuth,
  extendedCard,
  loadHostedAgents,
  publicCard,
} from '../../src/a2a/index.js';
import { AgentCardSchema } from '../../src/protocol/index.js';
import { aHostedAgent, anAgentWithExtendedCard } from '../support/hosted-agent.js';

const ALL: EnabledAuth = {
  oauth: {
    tokenUrl: 'https://gw.example/oauth/token',
    scopes: { 'a2a:send': 'send messages', 'a2a:read': 'read tasks' },
  },
  bearer: { issuers: ['https://idp.example'] },
  apiKey: { header: 'X-API-Key' },
};

describe('security schemes on the card (§4.4, §7.3)', () => {
  it('announces every enabled scheme in the proto JSON shape, any one of them sufficing', () => {
    expect(cardSecurity(ALL, ['a2a:send'])).toEqual({
      securitySchemes: {
        oauth2: {
          oauth2SecurityScheme: {
            flows: {
              clientCredentials: {
                tokenUrl: 'https://gw.example/oauth/token',
                scopes: { 'a2a:send': 'send messages', 'a2a:read': 'read tasks' },
              },
            },
          },
        },
        bearer: {
          httpAuthSecurityScheme: {
            scheme: 'Bearer',
            bearerFormat: 'JWT',
            description: 'A JWT issued by https://idp.example',
          },
        },
        apiKey: { apiKeySecurityScheme: { location: 'header', name: 'X-API-Key' } },
      },
      securityRequirements: [
        { schemes: { oauth2: { list: ['a2a:send'] } } },
        { schemes: { bearer: { list: ['a2a:send'] } } },
        { schemes: { apiKey: { list: ['a2a:send'] } } },
      ],
    });
  });

  it('announces only what is enabled, and nothing when nothing is', () => {
    expect(cardSecurity({ apiKey: { header: 'X-Key' } }, ['a2a:send'])).toEqual({
      securitySchemes: { apiKey: { apiKeySecurityScheme: { location: 'header', name: 'X-Key' } } },
      securityRequirements: [{ schemes: { apiKey: { list: ['a2a:send'] } } }],
    });
    expect(cardSecurity({}, ['a2a:send'])).toEqual({});
    const card = publicCard(aHostedAgent(), 'https://gw.example');
    expect(card).not.toHaveProperty('securitySchemes');
    expect(card).not.toHaveProperty('securityRequirements');
  });

  it('puts them on a public card that still validates, asking for the send scope', () => {
    const card = AgentCardSchema.parse(
      publicCard(aHostedAgent(), 'https://gw.example', 'acme', ALL),
    );
    expect(Object.keys(card.securitySchemes ?? {})).toEqual(['oauth2', 'bearer', 'apiKey']);
    expect(card.securityRequirements?.[0]).toEqual({ schemes: { oauth2: { list: ['a2a:send'] } } });
  });
});

describe('scopes on the card', () => {
  it("asks for the send scope and whatever the agent's file requires, once each", () => {
    const agent = aHostedAgent({ requiredScopes: ['echo:use', 'a2a:send'] });
    const card = publicCard(agent, 'https://gw.example', undefined, { apiKey: { header: 'X' } });
    expect(card.securityRequirements).toEqual([
      { schemes: { apiKey: { list: ['a2a:send', 'echo:use'] } } },
    ]);
  });
});

describe('extended agent cards (§3.1.11)', () => {
  it('says extendedAgentCard: true exactly when the agent has an extended card', () => {
    expect(publicCard(aHostedAgent(), 'https://gw.example').capabilities).toEqual({
      streaming: true,
      pushNotifications: false,
      extendedAgentCard: false,
    });
    expect(
      publicCard(anAgentWithExtendedCard(), 'https://gw.example').capabilities.extendedAgentCard,
    ).toBe(true);
  });

  it('is the public card with the extra skills after the public ones and the longer description', () => {
    const agent = anAgentWithExtendedCard();
    const card = AgentCardSchema.parse(extendedCard(agent, 'https://gw.example', undefined, ALL));
    const shown = publicCard(agent, 'https://gw.example', undefined, ALL);
    expect(card.skills.map((skill) => skill.id)).toEqual(['echo', 'faults']);
    expect(card.description).toBe('Echoes what it is sent, and more for those who sign in.');
    expect(card.securitySchemes).toEqual(shown.securitySchemes);
    expect(card.supportedInterfaces).toEqual(shown.supportedInterfaces);
    expect(extendedCard(aHostedAgent(), 'https://gw.example')).toBeUndefined();
  });

  it('is refused as unsupported for an agent whose card says extendedAgentCard: false (§3.3.4)', async () => {
    const cards = createAgentCards();
    await expect(cards.extended(aHostedAgent(), 'https://gw.example')).rejects.toMatchObject({
      key: 'UNSUPPORTED_OPERATION',
    });
  });

  it('builds each card once per agent, base URL and tenant', async () => {
    const cards = createAgentCards({ maxCached: 2 });
    const agent = anAgentWithExtendedCard();
    const first = await cards.public(agent, 'https://gw.example');
    expect(await cards.public(agent, 'https://gw.example')).toBe(first);
    expect(await cards.public(agent, 'https://gw.example', 'acme')).not.toBe(first);
    expect(await cards.extended(agent, 'https://gw.example')).not.toBe(first);
    // Two kept at most: the first has gone.
    expect(await cards.public(agent, 'https://gw.example')).not.toBe(first);
  });
});

describe('extended cards in agent files', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'extended-cards-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const file = (extra: Record<string, unknown>) =>
    JSON.stringify({
      name: 'echo',
      card: aHostedAgent().card,
      executor: { kind: 'builtin', agent: 'echo' },
      ...extra,
    });

  it('loads the extension, and refuses a skill id the public card uses already', async () => {
    const path = join(folder, 'echo.json');
    const faults = { id: 'faults', name: 'Faults', description: 'Fails.', tags: ['test'] };
    await writeFile(path, file({ extendedCard: { skills: [faults] } }));
    const [agent] = await loadHostedAgents(folder);
    expect(agent?.extendedCard).toEqual({ skills: [faults] });
    await writeFile(path, file({ extendedCard: { skills: [{ ...faults, id: 'echo' }] } }));
    await expect(loadHostedAgents(folder)).rejects.toThrow(
      `${path}: extendedCard.skills.0.id: echo is used twice`,
    );
  });

  it('refuses security and signatures written in the file: the gateway states them', async () => {
    const path = join(folder, 'echo.json');
    await writeFile(
      path,
      file({ card: { ...aHostedAgent().card, securitySchemes: {}, signatures: [] } }),
    );
    await expect(loadHostedAgents(folder)).rejects.toThrow(`${path}: card:`);
  });

  it('loads the agent cards shipped in the repository, echo with its extension', async () => {
    const agents = await loadHostedAgents(new URL('../../agent-cards/', import.meta.url).pathname);
    const echo = agents.find((agent) => agent.name === 'echo')!;
    expect(echo.extendedCard?.skills.length).toBeGreaterThan(0);
    AgentCardSchema.parse(extendedCard(echo, 'https://gw.example', undefined, ALL));
  });
});
