import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CardSigningKey,
  createAgentCards,
  createCardSigner,
  publicCard,
  signCard,
} from '../../src/a2a/index.js';
import { startCardServer } from '../support/card-server.js';
import { anAgentWithExtendedCard } from '../support/hosted-agent.js';
import { aCardSigningKey, serveJson, serveJwks } from '../support/jwks.js';
import { runProcess } from '../support/process.js';

/** `npm run cli -- card verify …` from source, to its exit. */
async function cardVerify(...args: string[]) {
  const cli = runProcess(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'card', 'verify', ...args],
    {},
  );
  const code = await cli.exited;
  return { code, output: cli.output() };
}

describe('card verify', () => {
  let key: CardSigningKey;
  let jwks: Awaited<ReturnType<typeof serveJwks>>;
  let gateway: Awaited<ReturnType<typeof startCardServer>>;
  let forged: Awaited<ReturnType<typeof serveJson>>;
  beforeAll(async () => {
    const signing = await aCardSigningKey('card-key-1');
    key = signing.key;
    jwks = await serveJwks([signing.jwk]);
    gateway = await startCardServer(
      [anAgentWithExtendedCard()],
      createAgentCards({ signer: createCardSigner(key, { jku: jwks.url }) }),
    );
    const card = publicCard(anAgentWithExtendedCard(), 'https://gw.example');
    const signed = { ...card, signatures: [await signCard(card, key, { jku: jwks.url })] };
    forged = await serveJson({
      '/changed.json': { ...signed, name: 'Not Echo' },
      '/unsigned.json': card,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await jwks?.close();
    await forged?.close();
  });

  it("finds the card under an agent's URL and the key at the signature's jku", async () => {
    const { code, output } = await cardVerify(`${gateway.url}/agents/echo`);
    expect(output).toContain(`card ${gateway.url}/agents/echo/.well-known/agent-card.json`);
    expect(output).toContain(`✓ kid card-key-1 verified (keys from ${jwks.url})`);
    expect(code).toBe(0);
  });

  it('fails, saying why, for a changed card, an unsigned one, or keys that do not match', async () => {
    const other = await serveJwks([(await aCardSigningKey('card-key-1')).jwk]);
    try {
      const [changed, unsigned, wrongKeys] = await Promise.all([
        cardVerify(`${forged.base}/changed.json`),
        cardVerify(`${forged.base}/unsigned.json`),
        cardVerify(`${gateway.url}/.well-known/agent-card.json`, '--jwks', other.url),
      ]);
      expect(changed.output).toMatch(
        /✗ kid card-key-1 not verified .*signature verification failed/,
      );
      expect(unsigned.output).toContain('✗ the card carries no signatures');
      expect(wrongKeys.output).toContain(`(keys from ${other.url})`);
      expect(wrongKeys.output).toContain('not verified');
      expect([changed.code, unsigned.code, wrongKeys.code]).toEqual([1, 1, 1]);
    } finally {
      await other.close();
    }
  });
});
