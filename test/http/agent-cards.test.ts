import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHostedAgents } from '../../src/a2a/index.js';
import { AgentCardSchema } from '../../src/protocol/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

describe('agent cards and discovery (§8.2)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway({ env: { PUBLIC_URL: 'https://agents.example.com/' } });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('serves the default agent at /.well-known/agent-card.json, valid and truthful', async () => {
    const response = await fetch(`${gateway.url}/.well-known/agent-card.json`);
    const card = AgentCardSchema.parse(await response.json());
    expect(card.name).toBe('Echo');
    expect(card.capabilities).toEqual({
      streaming: true,
      pushNotifications: true,
      extendedAgentCard: false,
    });
    expect(card.supportedInterfaces).toEqual([
      {
        url: 'https://agents.example.com/agents/echo',
        protocolBinding: 'JSONRPC',
        protocolVersion: '1.0',
      },
      {
        url: 'https://agents.example.com/agents/echo',
        protocolBinding: 'JSONRPC',
        protocolVersion: '0.3',
      },
    ]);
  });

  it('sets ETag, Cache-Control and Last-Modified, and answers a matching If-None-Match with 304', async () => {
    const url = `${gateway.url}/agents/echo/.well-known/agent-card.json`;
    const response = await fetch(url);
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(Date.parse(response.headers.get('last-modified') ?? '')).not.toBeNaN();
    const again = await fetch(url, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
  });

  it('lists every hosted agent at /agents and serves each card by name, also under a tenant', async () => {
    const directory = (await (await fetch(`${gateway.url}/agents`)).json()) as {
      agents: { name: string }[];
    };
    expect(directory.agents.map((agent) => agent.name).sort()).toEqual([
      'Echo',
      'fragile',
      'hasty',
      'text-only',
    ]);
    const textOnly = (await (
      await fetch(`${gateway.url}/agents/text-only/.well-known/agent-card.json`)
    ).json()) as {
      defaultInputModes: string[];
    };
    expect(textOnly.defaultInputModes).toEqual(['text/plain']);
    const tenant = (await (
      await fetch(`${gateway.url}/acme/agents/echo/.well-known/agent-card.json`)
    ).json()) as {
      supportedInterfaces: { url: string; tenant?: string }[];
    };
    expect(tenant.supportedInterfaces[0]).toMatchObject({
      url: 'https://agents.example.com/acme/agents/echo',
      tenant: 'acme',
    });
    expect((await fetch(`${gateway.url}/agents/nobody/.well-known/agent-card.json`)).status).toBe(
      404,
    );
  });

  it('serves the same agent as an A2A 0.3 card at the 0.3 path', async () => {
    const card = (await (
      await fetch(`${gateway.url}/agents/echo/.well-known/agent.json`)
    ).json()) as Record<string, unknown>;
    expect(card).toMatchObject({
      protocolVersion: '0.3.0',
      url: 'https://agents.example.com/agents/echo',
      preferredTransport: 'JSONRPC',
      capabilities: { streaming: true, pushNotifications: true },
    });
  });
});

describe('agent card files', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'cards-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('stop start-up with the file and the field when a card is invalid', async () => {
    const path = join(folder, 'broken.json');
    await writeFile(
      path,
      JSON.stringify({
        name: 'broken',
        card: {
          name: 'Broken',
          description: 'x',
          version: '1',
          defaultInputModes: ['text/plain'],
          defaultOutputModes: ['text/plain'],
          skills: [],
        },
        executor: { kind: 'builtin', agent: 'echo' },
      }),
    );
    await expect(loadHostedAgents(folder)).rejects.toThrow(`${path}: card.skills:`);
    await writeFile(path, '{ not json');
    await expect(loadHostedAgents(folder)).rejects.toThrow(/broken\.json: not valid JSON/);
    await writeFile(path, JSON.stringify({ name: 'Bad Name!' }));
    await expect(loadHostedAgents(folder)).rejects.toThrow(/broken\.json: name:/);
  });
});

describe('agent cards of a gateway bound to every interface, with no PUBLIC_URL', () => {
  let gateway: TestGateway;
  let port: string;
  beforeAll(async () => {
    // Anonymous beyond loopback must be asked for (gateway-auth.ts assertSafeExposure).
    gateway = await startTestGateway({ env: { HOST: '0.0.0.0', ALLOW_ANONYMOUS: 'true' } });
    port = new URL(gateway.url).port;
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  /** GET with a chosen Host header, which fetch does not let a caller set. */
  function getCard(host: string | undefined) {
    return new Promise<{ body: { supportedInterfaces: { url: string }[] }; vary?: string }>(
      (resolve, reject) => {
        const headers = host === undefined ? {} : { host };
        httpGet(
          { host: '127.0.0.1', port, path: '/.well-known/agent-card.json', headers },
          (res) => {
            let text = '';
            res.on('data', (chunk) => {
              text += chunk;
            });
            res.on('end', () => {
              try {
                resolve({ body: JSON.parse(text), vary: res.headers.vary });
              } catch {
                reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
              }
            });
          },
        ).on('error', reject);
      },
    );
  }

  it('names the host the client reached instead of 0.0.0.0, and tells caches so', async () => {
    const card = await getCard('gateway.example:8443');
    expect(card.body.supportedInterfaces[0]!.url).toBe('http://gateway.example:8443/agents/echo');
    expect(card.vary).toBe('Host');
  });

  it('never builds a card URL from a Host header that is not a host', async () => {
    // Node refuses most malformed Host headers itself (400); this one it lets through.
    const card = await getCard('under_score.example');
    expect(card.body.supportedInterfaces[0]!.url).toBe(`http://localhost:${port}/agents/echo`);
  });
});
