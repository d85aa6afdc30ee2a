import { describe, expect, it } from 'vitest';
import { readUpstreamCard } from '../../../src/executors/a2a/upstream-card.js';
import {
  UpstreamCardError,
  UpstreamInvalidResponseError,
} from '../../../src/executors/a2a/upstream-errors.js';

const CARD_URL = 'https://agent.example/.well-known/agent-card.json';

const card = (extra: Record<string, unknown> = {}) => ({
  name: 'Agent',
  description: 'Does things.',
  supportedInterfaces: [
    { url: 'https://agent.example/rpc', protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
  ],
  version: '3.0.0',
  capabilities: { streaming: true },
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['application/json'],
  skills: [
    {
      id: 's',
      name: 'S',
      description: 'A skill.',
      tags: ['t'],
      securityRequirements: [{ schemes: { upstreamAuth: { list: [] } } }],
    },
  ],
  securitySchemes: { upstreamAuth: { httpAuthSecurityScheme: { scheme: 'bearer' } } },
  signatures: [{ protected: 'e30', signature: 'c2ln' }],
  ...extra,
});

const read = (json: unknown) => readUpstreamCard(CARD_URL, JSON.stringify(json));

describe('reading an upstream card', () => {
  it('a v1.0 card: its JSON-RPC interface at 1.0, and content without its security', () => {
    const upstream = read(card());
    expect(upstream.endpoint).toEqual({
      url: 'https://agent.example/rpc',
      protocol: '1.0',
      versionHeader: '1.0',
    });
    expect(upstream.streaming).toBe(true);
    expect(upstream.content.skills).toEqual([
      { id: 's', name: 'S', description: 'A skill.', tags: ['t'] },
    ]);
    expect(upstream.content).not.toHaveProperty('securitySchemes');
    expect(upstream.content).not.toHaveProperty('signatures');
    expect(upstream.content.source).toEqual({
      kind: 'a2a',
      origin: CARD_URL,
      version: '3.0.0',
      digest: upstream.digest,
    });
  });

  it('prefers a 1.0 JSON-RPC interface wherever it is listed; resolves relative URLs; keeps its tenant', () => {
    const upstream = read(
      card({
        supportedInterfaces: [
          { url: 'https://agent.example/grpc', protocolBinding: 'GRPC', protocolVersion: '1.0' },
          { url: '/v03', protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
          { url: '/v1', protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: 'acme' },
        ],
      }),
    );
    expect(upstream.endpoint).toEqual({
      url: 'https://agent.example/v1',
      protocol: '1.0',
      versionHeader: '1.0',
      tenant: 'acme',
    });
  });

  it('falls back to a 0.3 JSON-RPC interface, sending A2A-Version 0.3', () => {
    const upstream = read(
      card({
        supportedInterfaces: [
          {
            url: 'https://agent.example/old',
            protocolBinding: 'JSONRPC',
            protocolVersion: '0.3.0',
          },
        ],
      }),
    );
    expect(upstream.endpoint).toMatchObject({ protocol: '0.3', versionHeader: '0.3' });
  });

  it('a v0.3 card (flat url and protocolVersion) is read as one; its OAuth token URL is found', () => {
    const upstream = read({
      protocolVersion: '0.3.0',
      name: 'Old',
      description: 'Old agent.',
      url: 'https://agent.example/a2a',
      version: '0.9.0',
      capabilities: { streaming: false },
      defaultInputModes: ['text/plain'],
      defaultOutputModes: ['text/plain'],
      skills: [{ id: 's', name: 'S', description: 'A skill.', tags: ['t'] }],
      securitySchemes: {
        oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/token', scopes: {} } } },
      },
    });
    expect(upstream.endpoint).toEqual({
      url: 'https://agent.example/a2a',
      protocol: '0.3',
      versionHeader: '0.3',
    });
    expect(upstream.streaming).toBe(false);
    expect(upstream.tokenUrl).toBe('https://agent.example/token');
    expect(upstream.content.name).toBe('Old');
  });

  it('what is no card says what is wrong with it', () => {
    expect(() => readUpstreamCard(CARD_URL, '<html>')).toThrow(
      new UpstreamInvalidResponseError(CARD_URL, 'its agent card is not JSON: "<html>"'),
    );
    expect(() => read(card({ skills: [] }))).toThrow(/not a valid agent card: skills: /);
    expect(() => read({ protocolVersion: '0.3.0', name: 'Old' })).toThrow(
      /not a valid v0.3 agent card: description: /,
    );
    expect(() =>
      read(
        card({
          supportedInterfaces: [{ url: 'x', protocolBinding: 'HTTP+JSON', protocolVersion: '1.0' }],
        }),
      ),
    ).toThrow(UpstreamCardError);
  });
});
