import type { Command } from 'commander';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { type CardKeyResolver, type SignatureCheck, verifyCard } from '../a2a/index.js';

/** `card …`: commands about Agent Cards, against any A2A server (this gateway or another). */
export function registerCardCommands(program: Command): void {
  const card = program.command('card').description('inspect Agent Cards');
  card
    .command('verify')
    .description('fetch an Agent Card and verify each of its signatures (A2A §8.4)')
    .argument('<url>', 'the URL of a card, or the base URL of an agent or a gateway')
    .option('--jwks <url>', "take the keys from this JWKS instead of each signature's jku")
    .action(async (url: string, options: { jwks?: string }) => {
      const { cardUrl, checks } = await verifyCardAt(url, options.jwks);
      console.log(`card ${cardUrl}`);
      if (checks.length === 0) console.log('✗ the card carries no signatures');
      for (const check of checks) console.log(describe(check));
      // Every signature must hold: one that does not is a card changed since, or a key gone.
      if (checks.length === 0 || checks.some((check) => !check.verified)) process.exitCode = 1;
    });
}

type KeyedCheck = SignatureCheck & { keysFrom?: string };

async function verifyCardAt(
  url: string,
  jwks: string | undefined,
): Promise<{ cardUrl: string; checks: KeyedCheck[] }> {
  const cardUrl = cardUrlOf(url);
  const card = await fetchJson(cardUrl);
  if (typeof card !== 'object' || card === null || Array.isArray(card))
    throw new Error(`${cardUrl} did not answer with a JSON object`);
  const sets = new Map<string, Promise<ReturnType<typeof createLocalJWKSet>>>();
  // A jku is where the card says its key is; --jwks is where the operator trusts it is.
  const keysFor = (jku: string | undefined) =>
    jwks ?? (jku === undefined ? undefined : new URL(jku, cardUrl).href);
  const getKey: CardKeyResolver = async (header) => {
    const source = keysFor(header.jku);
    if (!source) throw new Error('no jku in the protected header: name the keys with --jwks');
    let set = sets.get(source);
    if (!set) {
      set = fetchJson(source).then((keys) => createLocalJWKSet(keys as JSONWebKeySet));
      sets.set(source, set);
    }
    return (await set)(header);
  };
  const checks = await verifyCard(card, getKey);
  return {
    cardUrl,
    checks: checks.map((check) => {
      const keysFrom = keysFor(check.jku);
      return keysFrom ? { ...check, keysFrom } : check;
    }),
  };
}

/** A card's own URL as given; any other URL is a base: its well-known card (§8.2). */
function cardUrlOf(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname.endsWith('.json')) return parsed.href;
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/.well-known/agent-card.json`;
  return parsed.href;
}

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

function describe(check: KeyedCheck): string {
  const kid = `kid ${check.kid ?? '(none)'}`;
  const from = check.keysFrom ? ` (keys from ${check.keysFrom})` : '';
  return check.verified
    ? `✓ ${kid} verified${from}`
    : `✗ ${kid} not verified${from}: ${check.reason}`;
}
