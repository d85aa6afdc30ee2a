import { createHash } from 'node:crypto';
import { type AgentCard, AgentCardSchema, type AgentInterface, v03 } from '../../protocol/index.js';
import type { CardContent } from '../hosted-executor.js';
import { UpstreamCardError, UpstreamInvalidResponseError } from './upstream-errors.js';

/** Where and how runs talk to the upstream: its JSON-RPC interface and the A2A version. */
export interface UpstreamEndpoint {
  url: string;
  /** How requests and results are shaped. */
  protocol: '1.0' | '0.3';
  /** Sent as `A2A-Version`. */
  versionHeader: string;
  /** The interface's tenant, sent in every request's params (v1.0). */
  tenant?: string;
}

/** The upstream card as fetched, read as v1.0. */
export interface UpstreamCard {
  card: AgentCard;
  /** Hex SHA-256 of the card's bytes as fetched. */
  digest: string;
  endpoint: UpstreamEndpoint;
  /** The card says it streams (SendStreamingMessage, SubscribeToTask). */
  streaming: boolean;
  /** What the gateway republishes of it. */
  content: CardContent;
  /** The token URL of its OAuth 2 client-credentials flow, if it names one. */
  tokenUrl?: string;
}

/**
 * Reads the card at `cardUrl` from its text: a v1.0 card, or a v0.3 card (told by its flat
 * `url` / `protocolVersion` and no `supportedInterfaces`) mapped to v1.0. Throws
 * `UpstreamInvalidResponseError` for what is no card, `UpstreamCardError` for a card without
 * a JSON-RPC interface of a version this gateway speaks.
 */
export function readUpstreamCard(cardUrl: string, text: string): UpstreamCard {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UpstreamInvalidResponseError(cardUrl, `its agent card is not JSON: ${excerpt(text)}`);
  }
  const card = parseCard(cardUrl, json);
  const endpoint = pickEndpoint(cardUrl, card);
  const digest = createHash('sha256').update(text).digest('hex');
  return {
    card,
    digest,
    endpoint,
    streaming: card.capabilities.streaming === true,
    content: contentOf(cardUrl, card, digest),
    ...tokenUrlOf(cardUrl, card),
  };
}

function parseCard(cardUrl: string, json: unknown): AgentCard {
  const isObject = typeof json === 'object' && json !== null && !Array.isArray(json);
  const flat =
    isObject && !('supportedInterfaces' in json) && ('protocolVersion' in json || 'url' in json);
  if (flat) {
    const old = v03.V03AgentCardSchema.safeParse(json);
    if (!old.success) throw invalidCard(cardUrl, 'v0.3 agent card', old.error.issues);
    const mapped = AgentCardSchema.safeParse(v03.cardFromV03(old.data));
    if (!mapped.success)
      throw invalidCard(cardUrl, 'v0.3 agent card (as v1.0)', mapped.error.issues);
    return mapped.data;
  }
  const parsed = AgentCardSchema.safeParse(json);
  if (!parsed.success) throw invalidCard(cardUrl, 'agent card', parsed.error.issues);
  return parsed.data;
}

function invalidCard(
  cardUrl: string,
  what: string,
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): UpstreamInvalidResponseError {
  return UpstreamInvalidResponseError.fromIssues(cardUrl, `not a valid ${what}`, issues);
}

/** JSON-RPC at v1.0 first, else v0.3; the card's own order breaks ties (§8: first preferred). */
function pickEndpoint(cardUrl: string, card: AgentCard): UpstreamEndpoint {
  const jsonRpc = card.supportedInterfaces.filter((i) => i.protocolBinding === 'JSONRPC');
  const v1 = jsonRpc.find((i) => /^1\.0(\.\d+)?$/.test(i.protocolVersion));
  if (v1) return endpointOf(cardUrl, v1, '1.0', v1.protocolVersion);
  const old = jsonRpc.find((i) => /^0\.3(\.\d+)?$/.test(i.protocolVersion));
  // The header names major.minor (§3.6); a v0.3 server may not know the header at all.
  if (old) return endpointOf(cardUrl, old, '0.3', '0.3');
  const offered = card.supportedInterfaces
    .map((i) => `${i.protocolBinding} ${i.protocolVersion}`)
    .join(', ');
  throw new UpstreamCardError(
    cardUrl,
    `it offers no JSON-RPC interface for A2A 1.0 or 0.3 (it offers: ${offered})`,
  );
}

function endpointOf(
  cardUrl: string,
  chosen: AgentInterface,
  protocol: '1.0' | '0.3',
  versionHeader: string,
): UpstreamEndpoint {
  let url: string;
  try {
    url = new URL(chosen.url, cardUrl).toString();
  } catch {
    throw new UpstreamCardError(cardUrl, `its interface URL ${excerpt(chosen.url)} is no URL`);
  }
  if (!/^https?:$/.test(new URL(url).protocol))
    throw new UpstreamCardError(cardUrl, `its interface URL ${excerpt(url)} is not http(s)`);
  return {
    url,
    protocol,
    versionHeader,
    ...(protocol === '1.0' && chosen.tenant ? { tenant: chosen.tenant } : {}),
  };
}

/**
 * What the gateway's card takes from the upstream's: who it is and what it can do. Its
 * interfaces, security and signatures are the upstream's own business (the gateway publishes
 * its own), and so are the security requirements of its skills and its extensions (the
 * gateway passes no extension headers on).
 */
function contentOf(cardUrl: string, card: AgentCard, digest: string): CardContent {
  return {
    skills: card.skills.map(({ securityRequirements: _, ...skill }) => skill),
    name: card.name,
    description: card.description,
    version: card.version,
    ...(card.provider ? { provider: card.provider } : {}),
    ...(card.documentationUrl ? { documentationUrl: card.documentationUrl } : {}),
    ...(card.iconUrl ? { iconUrl: card.iconUrl } : {}),
    defaultInputModes: card.defaultInputModes,
    defaultOutputModes: card.defaultOutputModes,
    source: { kind: 'a2a', origin: cardUrl, version: card.version, digest },
  };
}

function tokenUrlOf(cardUrl: string, card: AgentCard): { tokenUrl?: string } {
  for (const scheme of Object.values(card.securitySchemes ?? {})) {
    const url = scheme.oauth2SecurityScheme?.flows.clientCredentials?.tokenUrl;
    if (!url) continue;
    try {
      return { tokenUrl: new URL(url, cardUrl).toString() };
    } catch {
      // Not a URL: look further.
    }
  }
  return {};
}

export function excerpt(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > max ? `${flat.slice(0, max)}…` : flat);
}
