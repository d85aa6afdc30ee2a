import { type AgentCard as SdkAgentCard, verifyAgentCardSignature } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type CardSigner,
  createAgentCards,
  createCardSigner,
  type EnabledAuth,
} from '../../src/a2a/index.js';
import { type AgentCard, AgentCardSchema } from '../../src/protocol/index.js';
import { startCardServer } from '../support/card-server.js';
import { type JsonBody, rpc, startTestGateway, type TestGateway } from '../support/gateway.js';
import { aHostedAgent, anAgentWithExtendedCard } from '../support/hosted-agent.js';
import { type IdentityProvider, startIdentityProvider } from '../support/identity-provider.js';
import { aCardSigningKey, keyFromJku, serveJwks } from '../support/jwks.js';
import { bearerSdkClient } from '../support/sdk.js';

const AUTH: EnabledAuth = {
  oauth: { tokenUrl: 'https://gw.example/oauth/token', scopes: { 'a2a:send': 'send' } },
  bearer: { issuers: ['https://idp.example'] },
  apiKey: { header: 'X-API-Key' },
};

const sdkVerify = (card: unknown) => verifyAgentCardSignature(keyFromJku)(card as SdkAgentCard);

function sdkClient(url: string) {
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory()],
    }),
  );
  return factory.createFromUrl(url);
}

describe('agent cards of a gateway with authentication and a card signer, over HTTP', () => {
  let server: Awaited<ReturnType<typeof startCardServer>>;
  let jwks: Awaited<ReturnType<typeof serveJwks>>;
  const signer = vi.fn<CardSigner>();

  beforeAll(async () => {
    const { key, jwk } = await aCardSigningKey();
    jwks = await serveJwks([jwk]);
    const sign = createCardSigner(key, { jku: jwks.url });
    signer.mockImplementation(sign);
    const agents = [
      anAgentWithExtendedCard({ name: 'echo', isDefault: true }),
      aHostedAgent({ name: 'plain', isDefault: false }),
    ];
    server = await startCardServer(agents, createAgentCards({ auth: AUTH, signer }));
  });
  afterAll(async () => {
    await server?.close();
    await jwks?.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers });
  const cardAt = async (path: string) => AgentCardSchema.parse(await (await get(path)).json());

  it('announces the enabled schemes and, per agent, whether it has an extended card', async () => {
    const echo = await cardAt('/agents/echo/.well-known/agent-card.json');
    expect(Object.keys(echo.securitySchemes ?? {})).toEqual(['oauth2', 'bearer', 'apiKey']);
    expect(echo.securityRequirements).toHaveLength(3);
    expect(echo.capabilities.extendedAgentCard).toBe(true);
    const plain = await cardAt('/agents/plain/.well-known/agent-card.json');
    expect(plain.capabilities.extendedAgentCard).toBe(false);
    expect(plain.securitySchemes).toEqual(echo.securitySchemes);
  });

  it("serves signed cards the official client's verifier accepts, at every card route", async () => {
    for (const path of [
      '/.well-known/agent-card.json',
      '/agents/echo/.well-known/agent-card.json',
      '/acme/agents/plain/.well-known/agent-card.json',
    ]) {
      await expect(sdkVerify(await (await get(path)).json()), path).resolves.toBeUndefined();
    }
    const listing = (await (await get('/agents')).json()) as { agents: AgentCard[] };
    expect(listing.agents).toHaveLength(2);
    for (const card of listing.agents) await expect(sdkVerify(card)).resolves.toBeUndefined();
  });

  it('signs each card once, and still answers a matching If-None-Match with 304', async () => {
    const path = '/agents/plain/.well-known/agent-card.json';
    const first = await get(path);
    const signed = signer.mock.calls.length;
    const etag = first.headers.get('etag')!;
    const again = await get(path);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.json()).toEqual(await first.json());
    expect((await get(path, { 'if-none-match': etag })).status).toBe(304);
    expect(signer.mock.calls.length).toBe(signed);
  });

  const extended = (agent: string, body: object = {}, headers: Record<string, string> = {}) =>
    rpc(
      `${server.url}/agents/${agent}`,
      { jsonrpc: '2.0', id: 1, method: 'GetExtendedAgentCard', params: {}, ...body },
      headers,
    );

  it('answers GetExtendedAgentCard with the public card and the extension, signed (§3.1.11)', async () => {
    const { body } = await extended('echo');
    const card = AgentCardSchema.parse(body.result);
    expect(card.skills.map((skill) => skill.id)).toEqual(['echo', 'faults']);
    expect(card.description).toBe('Echoes what it is sent, and more for those who sign in.');
    expect(card.supportedInterfaces[0]!.url).toBe(`${server.url}/agents/echo`);
    expect(card.securitySchemes).toBeDefined();
    await expect(sdkVerify(body.result)).resolves.toBeUndefined();
  });

  it('lets the official client fetch the extended card, as the public card announces', async () => {
    const client = await sdkClient(server.url);
    // Not `getAgentCard(options, verifier)`: that verifies the client's decoded card, whose
    // re-canonicalization drops oneof fields such as securitySchemes (a2aproject/a2a-js#663);
    // the JSON this gateway sends is verified above.
    const card = await client.getAgentCard();
    expect(card.skills.map((skill) => skill.id)).toEqual(['echo', 'faults']);
    expect(Object.keys(card.securitySchemes)).toEqual(['oauth2', 'bearer', 'apiKey']);
  });

  it("answers under a tenant with that tenant's interfaces", async () => {
    const { body } = await rpc(`${server.url}/acme/agents/echo`, {
      jsonrpc: '2.0',
      id: 1,
      method: 'GetExtendedAgentCard',
    });
    expect(body.result.supportedInterfaces[0]).toMatchObject({
      url: `${server.url}/acme/agents/echo`,
      tenant: 'acme',
    });
  });

  it('answers UnsupportedOperationError (-32004) for an agent that declares none (§3.3.4)', async () => {
    const { body } = await extended('plain');
    expect(body.error.code).toBe(-32004);
  });

  it('answers the 0.3 method with the 0.3 form of the extended card', async () => {
    const { body } = await rpc(
      `${server.url}/agents/echo`,
      { jsonrpc: '2.0', id: 1, method: 'agent/getAuthenticatedExtendedCard' },
      { 'a2a-version': '' },
    );
    const card = body.result as JsonBody;
    expect(card.protocolVersion).toBe('0.3.0');
    expect(card.supportsAuthenticatedExtendedCard).toBe(true);
    expect(card.skills.map((skill: { id: string }) => skill.id)).toEqual(['echo', 'faults']);
    expect(Object.keys(card.securitySchemes)).toEqual(['oauth2', 'bearer', 'apiKey']);
  });
});

describe('GetExtendedAgentCard on a started gateway with authentication, the repository cards', () => {
  let idp: IdentityProvider;
  let gateway: TestGateway;
  beforeAll(async () => {
    idp = await startIdentityProvider();
    gateway = await startTestGateway({
      env: {
        AGENT_CARDS_DIR: new URL('../../agent-cards/', import.meta.url).pathname,
        AUTH_ISSUERS: idp.authIssuers,
      },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await idp?.close();
  });

  const getExtended = (headers: Record<string, string>) =>
    rpc(
      `${gateway.url}/agents/echo`,
      { jsonrpc: '2.0', id: 1, method: 'GetExtendedAgentCard' },
      headers,
    );

  it('refuses a caller without credentials before the extended card is looked at', async () => {
    const { status, body } = await getExtended({});
    expect(status).toBe(401);
    expect(body.result).toBeUndefined();
  });

  it("gives an authenticated caller echo's extended card, also through the official client", async () => {
    const token = await idp.token({ sub: 'reader', tenant: 'acme', scope: 'a2a:read' });
    const { body } = await getExtended({ authorization: `Bearer ${token}` });
    const card = AgentCardSchema.parse(body.result);
    expect(card.skills.map((skill) => skill.id)).toEqual(['echo', 'fault-injection']);
    // The token is bound to acme: the card names that tenant's endpoint (§8.3.2).
    expect(card.supportedInterfaces[0]).toMatchObject({
      url: `${gateway.url}/acme/agents/echo`,
      tenant: 'acme',
    });

    const client = await bearerSdkClient(gateway.url, token);
    // The public card says extendedAgentCard: true, so the client asks for the extended one.
    const seen = await client.getAgentCard();
    expect(seen.skills.map((skill) => skill.id)).toEqual(['echo', 'fault-injection']);
  });
});
