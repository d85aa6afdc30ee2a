import type {
  AgentCard,
  AgentInterface,
  AgentSkill,
  OAuthFlows,
  SecurityRequirement,
  SecurityScheme,
} from '../index.js';
import { mapValues, prune } from './objects.js';
import type {
  V03AgentCard,
  V03AgentSkill,
  V03OAuthFlows,
  V03SecurityRequirement,
  V03SecurityScheme,
} from './schemas.js';

// ---- Agent card: v0.3 to v1.0 (an upstream agent that still publishes a v0.3 card) ----

/**
 * The v1.0 card of a v0.3 card: its one card-level URL and transport, then its additional
 * interfaces, all at the card's `protocolVersion`; relative URLs stay as written. The card's
 * `signatures` are dropped: they sign the v0.3 JSON, which the v1.0 card no longer is.
 * Validate the result (AgentCardSchema): v1.0 requires more (a skill's tags, one skill).
 */
export function cardFromV03(card: V03AgentCard): AgentCard {
  const main: AgentInterface = {
    url: card.url,
    protocolBinding: card.preferredTransport ?? 'JSONRPC',
    protocolVersion: card.protocolVersion,
  };
  const additional = (card.additionalInterfaces ?? [])
    .filter((i) => !(i.url === main.url && i.transport === main.protocolBinding))
    .map((i) => ({
      url: i.url,
      protocolBinding: i.transport,
      protocolVersion: card.protocolVersion,
    }));
  const schemes = card.securitySchemes && schemesFromV03(card.securitySchemes);
  return prune({
    name: card.name,
    description: card.description,
    supportedInterfaces: [main, ...additional],
    provider: card.provider,
    version: card.version,
    documentationUrl: card.documentationUrl,
    capabilities: prune({
      streaming: card.capabilities.streaming,
      pushNotifications: card.capabilities.pushNotifications,
      extensions: card.capabilities.extensions,
      extendedAgentCard: card.supportsAuthenticatedExtendedCard,
    }),
    securitySchemes: schemes,
    securityRequirements: card.security?.map(securityRequirementFromV03),
    defaultInputModes: card.defaultInputModes,
    defaultOutputModes: card.defaultOutputModes,
    skills: card.skills.map(skillFromV03),
    iconUrl: card.iconUrl,
  });
}

function skillFromV03(skill: V03AgentSkill): AgentSkill {
  return prune({
    id: skill.id,
    name: skill.name,
    description: skill.description,
    tags: skill.tags,
    examples: skill.examples,
    inputModes: skill.inputModes,
    outputModes: skill.outputModes,
    securityRequirements: skill.security?.map(securityRequirementFromV03),
  });
}

function securityRequirementFromV03(requirement: V03SecurityRequirement): SecurityRequirement {
  return { schemes: mapValues(requirement, (scopes) => ({ list: scopes })) };
}

/** Schemes v1.0 can carry: an OAuth 2 scheme without any flow has nothing to say, and goes. */
function schemesFromV03(
  schemes: Record<string, V03SecurityScheme>,
): Record<string, SecurityScheme> {
  const mapped: Record<string, SecurityScheme> = {};
  for (const [name, scheme] of Object.entries(schemes)) {
    const v1 = securitySchemeFromV03(scheme);
    if (v1) mapped[name] = v1;
  }
  return mapped;
}

/** OpenAPI's `type` becomes v1.0's member name; undefined for an OAuth 2 scheme with no flow. */
export function securitySchemeFromV03(scheme: V03SecurityScheme): SecurityScheme | undefined {
  switch (scheme.type) {
    case 'apiKey':
      return {
        apiKeySecurityScheme: prune({
          location: scheme.in,
          name: scheme.name,
          description: scheme.description,
        }),
      };
    case 'http':
      return {
        httpAuthSecurityScheme: prune({
          scheme: scheme.scheme,
          bearerFormat: scheme.bearerFormat,
          description: scheme.description,
        }),
      };
    case 'oauth2': {
      const flows = oauthFlowsFromV03(scheme.flows);
      if (!flows) return undefined;
      return {
        oauth2SecurityScheme: prune({
          flows,
          oauth2MetadataUrl: scheme.oauth2MetadataUrl,
          description: scheme.description,
        }),
      };
    }
    case 'openIdConnect':
      return {
        openIdConnectSecurityScheme: prune({
          openIdConnectUrl: scheme.openIdConnectUrl,
          description: scheme.description,
        }),
      };
    case 'mutualTLS':
      return { mtlsSecurityScheme: prune({ description: scheme.description }) };
    default: {
      const unknown: never = scheme;
      throw new TypeError(`Unhandled v0.3 security scheme: ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * v1.0 holds one flow per scheme (`oneof`), OpenAPI up to four: the first of client
 * credentials (what a gateway uses), authorization code, implicit and password is kept.
 */
function oauthFlowsFromV03(flows: V03OAuthFlows): OAuthFlows | undefined {
  if (flows.clientCredentials) return { clientCredentials: prune({ ...flows.clientCredentials }) };
  if (flows.authorizationCode) return { authorizationCode: prune({ ...flows.authorizationCode }) };
  if (flows.implicit) return { implicit: prune({ ...flows.implicit }) };
  if (flows.password) return { password: prune({ ...flows.password }) };
  return undefined;
}
