import type {
  AgentCapabilities,
  AgentCard,
  AgentSkill,
  OAuthFlows,
  SecurityRequirement,
  SecurityScheme,
} from '../index.js';
import { mapValues, prune } from './objects.js';
import type {
  V03AgentCard,
  V03OAuthFlows,
  V03SecurityRequirement,
  V03SecurityScheme,
} from './schemas.js';

// ---- Agent card: v1.0 to v0.3 ----

/**
 * The v0.3 card of `card`, served at `jsonRpcUrl` where requests without `A2A-Version` are
 * v0.3. Only JSON-RPC speaks v0.3 here, so it is the one interface listed.
 */
export function cardToV03(card: AgentCard, jsonRpcUrl: string): V03AgentCard {
  return prune({
    protocolVersion: '0.3.0',
    name: card.name,
    description: card.description,
    url: jsonRpcUrl,
    preferredTransport: 'JSONRPC',
    additionalInterfaces: [{ url: jsonRpcUrl, transport: 'JSONRPC' }],
    iconUrl: card.iconUrl,
    provider: card.provider && { organization: card.provider.organization, url: card.provider.url },
    version: card.version,
    documentationUrl: card.documentationUrl,
    capabilities: capabilitiesToV03(card.capabilities),
    securitySchemes: card.securitySchemes && mapValues(card.securitySchemes, securitySchemeToV03),
    security: card.securityRequirements?.map(securityRequirementToV03),
    defaultInputModes: card.defaultInputModes,
    defaultOutputModes: card.defaultOutputModes,
    skills: card.skills.map(skillToV03),
    supportsAuthenticatedExtendedCard: card.capabilities.extendedAgentCard ?? false,
    // No `signatures`: they sign the v1.0 card's canonical JSON (§8.4), not this one.
  });
}

export function jsonRpcUrlOf(card: AgentCard): string {
  const jsonRpc = card.supportedInterfaces.find((i) => i.protocolBinding === 'JSONRPC');
  return (jsonRpc ?? card.supportedInterfaces[0])?.url ?? '';
}

function capabilitiesToV03(capabilities: AgentCapabilities): V03AgentCard['capabilities'] {
  return prune({
    streaming: capabilities.streaming,
    pushNotifications: capabilities.pushNotifications,
    // Dropped in v1.0; we make no promise about a state-transition history.
    stateTransitionHistory: false,
    // v0.3 requires `uri`, and an extension without one cannot be named anyway.
    extensions: capabilities.extensions?.flatMap((e) =>
      e.uri
        ? [
            prune({
              uri: e.uri,
              description: e.description,
              required: e.required,
              params: e.params,
            }),
          ]
        : [],
    ),
  });
}

function skillToV03(skill: AgentSkill): V03AgentCard['skills'][number] {
  return prune({
    id: skill.id,
    name: skill.name,
    description: skill.description,
    tags: skill.tags,
    examples: skill.examples,
    inputModes: skill.inputModes,
    outputModes: skill.outputModes,
    security: skill.securityRequirements?.map(securityRequirementToV03),
  });
}

function securityRequirementToV03(requirement: SecurityRequirement): V03SecurityRequirement {
  return mapValues(requirement.schemes ?? {}, (scopes) => scopes.list ?? []);
}

/** v1.0's member name becomes OpenAPI's `type`; the fields are OpenAPI's already. */
export function securitySchemeToV03(scheme: SecurityScheme): V03SecurityScheme {
  const { apiKeySecurityScheme: apiKey, httpAuthSecurityScheme: http } = scheme;
  const { oauth2SecurityScheme: oauth2, openIdConnectSecurityScheme: oidc } = scheme;
  if (apiKey) {
    const { location, name, description } = apiKey;
    return prune({ type: 'apiKey', in: location, name, description });
  }
  if (http) {
    const { scheme: httpScheme, bearerFormat, description } = http;
    return prune({ type: 'http', scheme: httpScheme, bearerFormat, description });
  }
  if (oauth2) {
    const { flows, oauth2MetadataUrl, description } = oauth2;
    return prune({ type: 'oauth2', flows: oauthFlowsToV03(flows), oauth2MetadataUrl, description });
  }
  if (oidc) {
    const { openIdConnectUrl, description } = oidc;
    return prune({ type: 'openIdConnect', openIdConnectUrl, description });
  }
  return prune({ type: 'mutualTLS', description: scheme.mtlsSecurityScheme?.description });
}

function oauthFlowsToV03(flows: OAuthFlows): V03OAuthFlows {
  const { authorizationCode: code, clientCredentials: client, implicit, password } = flows;
  // `pkceRequired` has no OpenAPI 3.0 field; `deviceCode` (RFC 8628) has no OpenAPI 3.0 flow,
  // so such a scheme reaches v0.3 clients with no flow they could use.
  return prune({
    authorizationCode:
      code &&
      prune({
        authorizationUrl: code.authorizationUrl,
        tokenUrl: code.tokenUrl,
        refreshUrl: code.refreshUrl,
        scopes: code.scopes,
      }),
    clientCredentials:
      client &&
      prune({ tokenUrl: client.tokenUrl, refreshUrl: client.refreshUrl, scopes: client.scopes }),
    // v1.0 deprecates these two and relaxes their fields; v0.3 still requires them.
    implicit:
      implicit &&
      prune({
        authorizationUrl: implicit.authorizationUrl ?? '',
        refreshUrl: implicit.refreshUrl,
        scopes: implicit.scopes ?? {},
      }),
    password:
      password &&
      prune({
        tokenUrl: password.tokenUrl ?? '',
        refreshUrl: password.refreshUrl,
        scopes: password.scopes ?? {},
      }),
  });
}
