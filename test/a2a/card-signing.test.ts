import {
  canonicalizeAgentCard,
  generateAgentCardSignature,
  type AgentCard as SdkAgentCard,
  verifyAgentCardSignature,
} from '@a2a-js/sdk';
import { createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type CardSigningKey,
  canonicalCardPayload,
  createAgentCards,
  createCardSigner,
  type EnabledAuth,
  publicCard,
  signCard,
  verifyCard,
} from '../../src/a2a/index.js';
import type { AgentCard } from '../../src/protocol/index.js';
import { anAgentWithExtendedCard } from '../support/hosted-agent.js';
import { aCardSigningKey, keyFromJku, serveJwks } from '../support/jwks.js';

const AUTH: EnabledAuth = {
  oauth: { tokenUrl: 'https://gw.example/oauth/token', scopes: { 'a2a:send': 'send' } },
  bearer: {},
  apiKey: { header: 'X-API-Key' },
};

// Our cards and the SDK's ts-proto cards are the same JSON; the types differ.
const sdkVerify = (card: AgentCard) =>
  verifyAgentCardSignature(keyFromJku)(card as unknown as SdkAgentCard);

describe('agent card signatures (§8.4)', () => {
  let key: CardSigningKey;
  let jwks: Awaited<ReturnType<typeof serveJwks>>;
  beforeAll(async () => {
    const signing = await aCardSigningKey('card-key-1');
    key = signing.key;
    jwks = await serveJwks([signing.jwk]);
    // The SDK's verifier logs each signature that fails; the failures here are intended.
    vi.spyOn(console, 'debug').mockImplementation(() => {});
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await jwks?.close();
  });

  async function signed(card: AgentCard): Promise<AgentCard> {
    return { ...card, signatures: [await signCard(card, key, { jku: jwks.url })] };
  }
  const card = () => publicCard(anAgentWithExtendedCard(), 'https://gw.example', 'acme', AUTH);

  it('is a detached JWS whose protected header names alg, kid, typ JOSE and the jku (§8.4.2)', async () => {
    const signature = await signCard(card(), key, { jku: jwks.url });
    expect(Object.keys(signature).sort()).toEqual(['protected', 'signature']);
    const header = JSON.parse(Buffer.from(signature.protected, 'base64url').toString());
    expect(header).toEqual({ alg: 'ES256', typ: 'JOSE', kid: 'card-key-1', jku: jwks.url });
  });

  it('names the JWKS of the base URL each card was built for, when jku follows it', async () => {
    const signer = createCardSigner(key, { jku: (base) => `${base}/.well-known/jwks.json` });
    const cards = createAgentCards({ signer });
    const served = await cards.public(anAgentWithExtendedCard(), 'http://gw.example:8080/');
    const header = JSON.parse(
      Buffer.from(served.signatures![0]!.protected, 'base64url').toString(),
    );
    expect(header.jku).toBe('http://gw.example:8080/.well-known/jwks.json');
  });

  it("verifies with the official client's verifier, the key found at the jku", async () => {
    await expect(sdkVerify(await signed(card()))).resolves.toBeUndefined();
    expect(jwks.fetches).toBeGreaterThan(0);
  });

  it('stops verifying when a skill name or the url changes', async () => {
    const original = await signed(card());
    const renamed = {
      ...original,
      skills: [{ ...original.skills[0]!, name: 'Something else' }],
    };
    const moved = {
      ...original,
      supportedInterfaces: original.supportedInterfaces.map((i) => ({
        ...i,
        url: 'https://evil.example/agents/echo',
      })),
    };
    for (const tampered of [renamed, moved]) {
      await expect(sdkVerify(tampered)).rejects.toThrow(/No valid signatures/);
      const [check] = await verifyCard(tampered, createLocalJWKSet({ keys: [await jwk()] }));
      expect(check).toMatchObject({ kid: 'card-key-1', verified: false });
    }
  });

  async function jwk() {
    return keyFromJku('card-key-1', jwks.url);
  }

  it('signs only what ProtoJSON keeps: unset and default fields out, optional ones set to false in (§8.4.1)', async () => {
    const base = card();
    const withDefaults: AgentCard = {
      ...base,
      documentationUrl: '',
      capabilities: { ...base.capabilities, extensions: [] },
      supportedInterfaces: base.supportedInterfaces.map((i) => ({ ...i, tenant: '' })),
      skills: base.skills.map((skill) => ({ ...skill, examples: [], securityRequirements: [] })),
    };
    const stripped: AgentCard = {
      ...base,
      supportedInterfaces: base.supportedInterfaces.map(({ tenant: _, ...i }) => i),
    };
    // `documentationUrl` is an `optional` field: set to "", it is part of the card.
    expect(canonicalCardPayload(withDefaults)).toBe(
      canonicalCardPayload({ ...stripped, documentationUrl: '' }),
    );
    const payload = JSON.parse(canonicalCardPayload(base));
    expect(payload.capabilities).toEqual({
      streaming: true,
      pushNotifications: false,
      extendedAgentCard: true,
    });
    // The official SDK rebuilds the same bytes for cards that hold no empty REQUIRED field.
    expect(canonicalCardPayload(stripped)).toBe(
      canonicalizeAgentCard(stripped as unknown as SdkAgentCard),
    );
    await expect(sdkVerify(await signed(stripped))).resolves.toBeUndefined();
  });

  it("canonicalizes the spec's own example exactly as §8.4.1 shows", () => {
    const example = {
      name: 'Example Agent',
      description: '',
      capabilities: { streaming: false, pushNotifications: false, extensions: [] },
      skills: [],
    };
    expect(canonicalCardPayload(example)).toBe(
      '{"capabilities":{"pushNotifications":false,"streaming":false},"description":"","name":"Example Agent","skills":[]}',
    );
  });

  it('verifies what the official SDK signs, and says which kid failed and why', async () => {
    const other = await aCardSigningKey('card-key-2');
    const bySdk = (await generateAgentCardSignature(other.key.privateKey, {
      alg: 'ES256',
      kid: 'card-key-2',
      typ: 'JOSE',
    })(card() as unknown as SdkAgentCard)) as unknown as AgentCard;
    const both = { ...bySdk, signatures: [...bySdk.signatures!, await signCard(card(), key)] };
    const keys = createLocalJWKSet({ keys: [other.jwk] });
    expect(await verifyCard(both, keys)).toEqual([
      { kid: 'card-key-2', verified: true },
      { kid: 'card-key-1', verified: false, reason: expect.stringMatching(/no applicable key/i) },
    ]);
    expect(await verifyCard(card(), keys)).toEqual([]);
  });
});
